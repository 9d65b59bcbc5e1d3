#include "agent/sync/recover.h"

#include <chrono>
#include <map>
#include <thread>

#include "agent/sync/remote_client.h"
#include "platform/clock.h"
#include "platform/sha256.h"
#include "platform/wire_text.h"
#include "storage/ledger.h"

namespace holdfast::agent {
namespace {

using storage::ItemKind;
using storage::Vault;

constexpr int kMaxRounds = 4;
// The longest `recover --wait` sleeps for an operator's re-upload slot.
constexpr int64_t kMaxSlotWaitMs = int64_t{24} * 3600 * 1000;

int64_t SteadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// What the next push will send, per kind: the recovery's "re-sent" figures.
Status AddPendingTotals(Vault& vault, const std::string& remote, RecoverReport* report) {
  Result<std::vector<storage::CollectionInfo>> collections = vault.ListCollections();
  if (!collections) return collections.error();
  std::map<int64_t, ItemKind> kinds;
  for (const storage::CollectionInfo& c : *collections) kinds[c.id] = c.kind;
  return storage::Ledger(vault, remote).ForEachPending([&](storage::PendingChange&& p) {
    if (p.deleted) return Status::Ok();
    KindTotals& totals = report->by_kind[static_cast<size_t>(kinds[p.collection_id])];
    ++totals.items;
    totals.bytes += static_cast<int64_t>(p.size_bytes);
    return Status::Ok();
  });
}

// Compares every collection's inventory with the vault's live items. What
// differs gets its acknowledgement forgotten (so the next push sends it);
// server items the vault does not hold live are deleted there. Returns how
// many differed.
Result<int64_t> ReadBack(Vault& vault, RemoteClient& client, const std::string& remote) {
  Result<std::vector<storage::CollectionInfo>> collections = vault.ListCollections();
  if (!collections) return collections.error();
  int64_t differing = 0;
  for (const storage::CollectionInfo& c : *collections) {
    const std::string id = RemoteCollectionId(c);
    Result<std::map<std::string, std::string>> inventory = ListInventory(client, id);
    if (!inventory) return inventory.error();
    Result<std::vector<storage::ItemRecord>> items = vault.ListItems(c.id);
    if (!items) return items.error();
    std::vector<int64_t> resend;
    for (const storage::ItemRecord& item : *items) {
      auto held = inventory->find(platform::ToWireText(item.uid));
      if (item.deleted) continue;
      if (held == inventory->end() || held->second != platform::ToHex(item.sha256)) resend.push_back(item.id);
      if (held != inventory->end()) inventory->erase(held);
    }
    differing += static_cast<int64_t>(resend.size());
    HF_RETURN_IF_ERROR(storage::Ledger(vault, remote).ForgetAcks(resend));
    // Left in the inventory: what the vault does not hold live. Deleted on the
    // server so that it equals the vault (the ledger may not know them: a
    // push killed before it recorded them, or a deletion already forgotten).
    for (const auto& [uid, sha] : *inventory) {
      ++differing;
      const std::string path = "/collections/" + id + "/items/" + EncodePathSegment(uid);
      Result<platform::HttpResponse> reply = client.CallNow("DELETE", path);
      if (!reply) return reply.error();
      if (reply->status != 204 && reply->status != 200 && reply->status != 404) return ProblemStatus(*reply, "DELETE " + path);
    }
  }
  return differing;
}

}  // namespace

std::string RecoverReport::ToJson() const {
  nlohmann::json kinds = nlohmann::json::object();
  for (ItemKind kind : storage::kAllItemKinds) {
    const KindTotals& t = by_kind[static_cast<size_t>(kind)];
    kinds[storage::ItemKindName(kind)] = {{"items", t.items}, {"bytes", t.bytes}};
  }
  nlohmann::json doc = {{"remote", remote},         {"reason", reason},     {"resumed", resumed},
                        {"rounds", rounds},         {"verified", verified}, {"second_wipes", second_wipes},
                        {"differing_at_end", items_differing_at_end},     {"duration_ms", duration_ms},
                        {"resent", kinds}};
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<RecoverReport> Recover(Vault& vault, const Config& config, const RecoverOptions& options) {
  const int64_t started = SteadyMs();
  Result<const RemoteConfig*> remote_config = ChooseRemote(config, options.remote);
  if (!remote_config) return remote_config.error();
  Result<std::unique_ptr<RemoteClient>> client = RemoteClient::Connect(**remote_config, RemoteOptionsFor(options.push));
  if (!client) return client.error();
  const std::string& remote = (*remote_config)->name;
  RecoverReport report;
  report.remote = remote;

  Result<std::optional<storage::RecoveryState>> in_progress = storage::Ledger(vault, remote).Recovery();
  if (!in_progress) return in_progress.error();
  Result<CheckReport> check = Check(vault, **client);
  if (!check) return check.error();
  report.check = *check;

  if (in_progress->has_value()) {
    // A recovery an earlier run left: go on with it (a new epoch is handled by the push).
    report.resumed = true;
    report.reason = (*in_progress)->reason;
    if (!check->unreachable.ok()) return check->unreachable.WithContext("recovery of remote '" + remote + "'");
  } else {
    if (!check->unreachable.ok()) {
      // Unknown is never read as a loss: nothing starts.
      return check->unreachable.WithContext("remote '" + remote + "' could not be checked; no recovery started");
    }
    std::vector<int64_t> set_aside_items;
    std::vector<int64_t> set_aside_collections;
    if (check->AnyLost()) {
      report.reason = check->epoch_changed ? "epoch" : "lost";
      for (const CollectionCheck& c : check->collections) {
        if (c.health == Health::kLost) set_aside_items.insert(set_aside_items.end(), c.missing_item_ids.begin(), c.missing_item_ids.end());
      }
    } else if (options.manual_reupload) {
      report.reason = "manual";
      bool matched = false;
      for (const CollectionCheck& c : check->collections) {
        if (options.collection && c.collection.name != *options.collection) continue;
        matched = true;
        set_aside_collections.push_back(c.collection.id);
      }
      if (!matched) return Status(ErrorCode::kNotFound, "no collection named '" + options.collection.value_or("") + "'");
    } else if (check->reupload && !check->reupload->done) {
      const int64_t now = platform::NowMs();
      if (now < check->reupload->slot_ms) {
        if (!options.wait_for_slot) {
          report.waiting_until_ms = check->reupload->slot_ms;
          report.duration_ms = SteadyMs() - started;
          return report;
        }
        const int64_t wait_ms = check->reupload->slot_ms - now;
        if (wait_ms > kMaxSlotWaitMs) {
          // A slot days away is a request the operator has not meant for
          // now (or a clock far off): waiting would hold the vault lock.
          return Status(ErrorCode::kServerError,
                        "the re-upload request " + check->reupload->id + " puts this device's slot at " +
                            platform::FormatUtc(check->reupload->slot_ms) + ", more than " +
                            std::to_string(kMaxSlotWaitMs / 3600000) +
                            " h from now: not waiting (run `holdfast recover` without --wait, or later)");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
      }
      report.reason = "reupload " + check->reupload->id;
      for (const CollectionCheck& c : check->collections) set_aside_collections.push_back(c.collection.id);
    } else {
      report.duration_ms = SteadyMs() - started;
      return report;  // healthy: nothing to do
    }
    // Recorded first: a kill from here on resumes this recovery.
    HF_RETURN_IF_ERROR(storage::Ledger(vault, remote).SetRecovery(storage::RecoveryState{report.reason, options.now_ms, ""}));
    if (check->epoch_changed) {
      // The whole ledger belonged to the old store; from now on it is the
      // new epoch's, so that only a further wipe shows as a change.
      HF_RETURN_IF_ERROR(storage::Ledger(vault, remote).Clear());
      HF_RETURN_IF_ERROR(storage::Ledger(vault, remote).SetEpoch(check->epoch, options.now_ms));
    }
    HF_RETURN_IF_ERROR(storage::Ledger(vault, remote).ForgetAcks(set_aside_items));
    for (int64_t id : set_aside_collections) HF_RETURN_IF_ERROR(storage::Ledger(vault, remote).ForgetCollectionAcks(id));
  }
  report.started = true;
  HF_RETURN_IF_ERROR(AddPendingTotals(vault, remote, &report));

  // Progress goes to the caller and, once a second, into the vault for `status --json`.
  PushOptions push = options.push;
  int64_t last_saved_ms = 0;
  Status progress_saved;
  push.progress = [&](const PushProgress& p) {
    if (options.push.progress) options.push.progress(p);
    const int64_t now = SteadyMs();
    if (now - last_saved_ms < 1000 || !progress_saved.ok()) return;
    last_saved_ms = now;
    const nlohmann::json progress = {{"items_done", p.items_done}, {"items_total", p.items_total},
                                     {"bytes_done", p.bytes_done}, {"bytes_total", p.bytes_total},
                                     {"elapsed_ms", now - started}};
    progress_saved = storage::Ledger(vault, remote).SetRecoveryProgress(progress.dump());
  };
  for (report.rounds = 1; report.rounds <= kMaxRounds; ++report.rounds) {
    Result<PushReport> pushed = PushWith(vault, **client, push);
    HF_RETURN_IF_ERROR(progress_saved);
    if (!pushed) return pushed.error().WithContext("recovery of remote '" + remote + "' (it resumes next time)");
    if (pushed->epoch_changed) {
      ++report.second_wipes;
      HF_RETURN_IF_ERROR(AddPendingTotals(vault, remote, &report));
    }
    Result<int64_t> differing = ReadBack(vault, **client, remote);
    if (!differing) return differing.error().WithContext("read-back of remote '" + remote + "' (the recovery resumes next time)");
    report.items_differing_at_end = *differing;
    if (*differing == 0) {
      report.verified = true;
      break;
    }
  }
  report.rounds = std::min(report.rounds, kMaxRounds);
  report.duration_ms = SteadyMs() - started;
  HF_RETURN_IF_ERROR(storage::Ledger(vault, remote).AddRecoveryRecord(storage::RecoveryRecord{options.now_ms, platform::NowMs(),
                                                                             report.verified, report.ToJson()}));
  if (report.verified) {
    HF_RETURN_IF_ERROR(storage::Ledger(vault, remote).SetRecovery(std::nullopt));
    // A verified read-back covers every collection: an operator's request
    // pending meanwhile is satisfied too.
    if (check->reupload) HF_RETURN_IF_ERROR(storage::Ledger(vault, remote).SetReuploadDone(check->reupload->id));
  }
  return report;
}

}  // namespace holdfast::agent
