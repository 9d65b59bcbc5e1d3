#include "agent/sync/recover.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>

#include "platform/clock.h"
#include "platform/sha256.h"
#include "storage/scratch_map.h"

namespace holdfast::agent {
namespace {

using storage::ItemKind;
using storage::Vault;

constexpr int kMaxRounds = 4;
// Lost items named per collection when a whole collection is lost: what the
// report shows of them (its text lists 20); the rest is counted and set
// aside with the collection, so memory does not grow with the ledger.
constexpr size_t kLostListed = 100;
// The longest `recover --wait` sleeps for an operator's re-upload slot.
constexpr int64_t kMaxSlotWaitMs = int64_t{24} * 3600 * 1000;

// What the next push will send, per kind: the recovery's "re-sent" figures.
Status AddPendingTotals(SyncSession& session, RecoverReport* report) {
  Result<std::vector<storage::CollectionInfo>> collections = session.vault().ListCollections();
  if (!collections) return collections.error();
  std::map<int64_t, ItemKind> kinds;
  for (const storage::CollectionInfo& c : *collections) kinds[c.id] = c.kind;
  Result<std::map<int64_t, storage::Ledger::PendingTotals>> pending = session.ledger().PendingByCollection();
  if (!pending) return pending.error();
  for (const auto& [collection_id, t] : *pending) {
    KindTotals& totals = report->by_kind[static_cast<size_t>(kinds[collection_id])];
    totals.items += t.puts;
    totals.bytes += t.put_bytes;
  }
  return Status::Ok();
}

// Compares every collection's inventory with the vault's live items. What
// differs gets its acknowledgement forgotten (so the next push sends it);
// server items the vault does not hold live are deleted there. Returns how
// many differed. Memory holds one inventory page and one read batch: the
// inventory waits in a scratch map on disk while the vault's items are
// walked one at a time.
Result<int64_t> ReadBack(SyncSession& session) {
  Vault& vault = session.vault();
  RemoteBackend& backend = session.backend();
  Result<std::vector<storage::CollectionInfo>> collections = vault.ListCollections();
  if (!collections) return collections.error();
  // The change markers read BEFORE the inventories: a collection found equal
  // to the vault has them recorded (check.h), so a change after them shows.
  session.ForgetState();
  Result<const RemoteState*> state = session.State();
  if (!state) return state.error();
  std::map<std::string, storage::CollectionTokens> markers;
  for (const RemoteState::Collection& c : (*state)->collections) {
    if (c.tokens) markers[c.id] = *c.tokens;
  }
  Result<std::unique_ptr<storage::ScratchMap>> scratch = storage::ScratchMap::Open();
  if (!scratch) return scratch.error().WithContext("read-back");
  storage::ScratchMap& held_items = **scratch;  // name -> token; marked: named after an item the vault knows
  int64_t differing = 0;
  for (const storage::CollectionInfo& c : *collections) {
    const std::string id = backend.CollectionId(c);
    const int64_t differing_before = differing;
    HF_RETURN_IF_ERROR(held_items.Clear());
    // A collection gone lists nothing: everything in it is sent again.
    Result<bool> gone = backend.ForEachInventoryPage(id, [&](std::map<std::string, std::string>&& page) {
      for (const auto& [name, token] : page) HF_RETURN_IF_ERROR(held_items.Put(name, token));
      return Status::Ok();
    });
    if (!gone) return gone.error();
    if (*gone) HF_RETURN_IF_ERROR(held_items.Clear());
    std::vector<int64_t> resend;
    // Tokens that do not name the content: the content itself, fetched and
    // compared as the backend defines "the same item", max_read_batch()
    // items at a time, so that memory holds one batch.
    const size_t batch = std::max<size_t>(backend.max_read_batch(id), 1);
    std::vector<storage::ItemRecord> to_compare;
    auto compare = [&]() -> Status {
      if (to_compare.empty()) return Status::Ok();
      std::vector<std::string> names;
      for (const storage::ItemRecord& item : to_compare) names.push_back(backend.ItemName(item.uid));
      Result<std::map<std::string, std::string>> held = backend.ReadItems(id, names);
      if (!held) return held.error();
      for (size_t i = 0; i < to_compare.size(); ++i) {
        const storage::ItemRecord& item = to_compare[i];
        auto got = held->find(names[i]);
        Result<std::string> bytes = vault.ReadRevisionBytes(item.head_revision_id, item.size_bytes);
        if (!bytes) return bytes.error();
        if (got == held->end() || !backend.SameContent(id, *bytes, got->second)) resend.push_back(item.id);
      }
      to_compare.clear();
      return Status::Ok();
    };
    HF_RETURN_IF_ERROR(vault.ForEachItem(c.id, [&](storage::ItemRecord&& item) -> Status {
      const std::string name = backend.ItemName(item.uid);
      if (item.deleted) return held_items.Mark(name);
      Result<std::optional<std::string>> held = held_items.Take(name);
      if (!held) return held.error();
      // The server's token for an item is the one its acknowledgement of the
      // vault's current content recorded; else the content's SHA-256 hex.
      std::string token = platform::ToHex(item.sha256);
      Result<std::optional<storage::LedgerEntry>> ack = session.ledger().EntryOf(item.id);
      if (!ack) return ack.error();
      if (ack->has_value() && (*ack)->sha256 == item.sha256 && !(*ack)->version.empty()) token = (*ack)->version;
      if (!held->has_value() || **held != token) {
        resend.push_back(item.id);
      } else if (backend.ReadBackContent()) {
        to_compare.push_back(std::move(item));
        if (to_compare.size() >= batch) return compare();
      }
      return Status::Ok();
    }));
    HF_RETURN_IF_ERROR(compare());
    differing += static_cast<int64_t>(resend.size());
    HF_RETURN_IF_ERROR(session.ledger().ForgetAcks(resend));
    // Left in the inventory: what the vault does not hold live. Deleted on the
    // server so that it equals the vault (the ledger may not know them: a
    // push killed before it recorded them, or a deletion already forgotten).
    // A collection others write to keeps what this vault never named.
    HF_RETURN_IF_ERROR(held_items.ForEach([&](std::string_view name, std::string_view, bool known) -> Status {
      if (backend.SharedCollections() && !known) return Status::Ok();
      ++differing;
      return backend.RemoveItem(id, std::string(name));
    }));
    auto marker = markers.find(id);
    if (differing == differing_before && marker != markers.end()) {
      HF_RETURN_IF_ERROR(session.ledger().SetTokens(id, marker->second, session.now_ms()));
    } else {
      HF_RETURN_IF_ERROR(session.ledger().ForgetTokens(id));
    }
  }
  // The server changed under the read-back: the next push asks it again.
  session.ForgetState();
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

Result<RecoverReport> Recover(SyncSession& session, const RecoverRequest& request, const PushProgressFn& progress) {
  const platform::Clock& clock = session.clock();
  storage::Ledger& ledger = session.ledger();
  const int64_t started = clock.SteadyMs();
  const std::string& remote = session.remote();
  RecoverReport report;
  report.remote = remote;

  Result<std::optional<storage::RecoveryState>> in_progress = ledger.Recovery();
  if (!in_progress) return in_progress.error();
  Result<CheckReport> check = Check(session, CheckOptions{kLostListed});
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
        if (c.health != Health::kLost) continue;
        if (c.all_lost) {
          set_aside_collections.push_back(c.collection.id);
        } else {
          set_aside_items.insert(set_aside_items.end(), c.missing_item_ids.begin(), c.missing_item_ids.end());
        }
      }
    } else if (request.manual_reupload) {
      report.reason = "manual";
      bool matched = false;
      for (const CollectionCheck& c : check->collections) {
        if (request.collection && c.collection.name != *request.collection) continue;
        matched = true;
        set_aside_collections.push_back(c.collection.id);
      }
      if (!matched) return Status(ErrorCode::kNotFound, "no collection named '" + request.collection.value_or("") + "'");
    } else if (check->reupload && !check->reupload->done) {
      const int64_t now = clock.NowMs();
      if (now < check->reupload->slot_ms) {
        if (!request.wait_for_slot) {
          report.waiting_until_ms = check->reupload->slot_ms;
          report.duration_ms = clock.SteadyMs() - started;
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
        clock.SleepMs(wait_ms);
      }
      report.reason = "reupload " + check->reupload->id;
      for (const CollectionCheck& c : check->collections) set_aside_collections.push_back(c.collection.id);
    } else {
      report.duration_ms = clock.SteadyMs() - started;
      return report;  // healthy: nothing to do
    }
    // Recorded first: a kill from here on resumes this recovery.
    HF_RETURN_IF_ERROR(ledger.SetRecovery(storage::RecoveryState{report.reason, session.now_ms(), ""}));
    if (check->epoch_changed) {
      // The whole ledger belonged to the old store; from now on it is the
      // new epoch's, so that only a further wipe shows as a change.
      Result<const RemoteState*> state = session.State();
      if (!state) return state.error();
      Result<bool> adopted = session.AdoptEpoch(**state);
      if (!adopted) return adopted.error();
    }
    HF_RETURN_IF_ERROR(ledger.ForgetAcks(set_aside_items));
    for (int64_t id : set_aside_collections) HF_RETURN_IF_ERROR(ledger.ForgetCollectionAcks(id));
    // Markers belong to the ledger as it stood: those of every collection
    // set aside go with it (the read-back records new ones once verified).
    for (const CollectionCheck& c : check->collections) {
      const bool lost = c.health == Health::kLost;
      const bool whole = std::find(set_aside_collections.begin(), set_aside_collections.end(), c.collection.id) !=
                         set_aside_collections.end();
      if (lost || whole) HF_RETURN_IF_ERROR(ledger.ForgetTokens(session.backend().CollectionId(c.collection)));
    }
  }
  report.started = true;
  HF_RETURN_IF_ERROR(AddPendingTotals(session, &report));

  // Progress goes to the caller and, once a second, into the vault for `status --json`.
  int64_t last_saved_ms = 0;
  Status progress_saved;
  const PushProgressFn push_progress = [&](const PushProgress& p) {
    if (progress) progress(p);
    const int64_t now = clock.SteadyMs();
    if (now - last_saved_ms < 1000 || !progress_saved.ok()) return;
    last_saved_ms = now;
    const nlohmann::json progress_doc = {{"items_done", p.items_done}, {"items_total", p.items_total},
                                         {"bytes_done", p.bytes_done}, {"bytes_total", p.bytes_total},
                                         {"elapsed_ms", now - started}};
    progress_saved = ledger.SetRecoveryProgress(progress_doc.dump());
  };
  for (report.rounds = 1; report.rounds <= kMaxRounds; ++report.rounds) {
    Result<PushReport> pushed = PushPending(session, push_progress);
    HF_RETURN_IF_ERROR(progress_saved);
    if (!pushed) return pushed.error().WithContext("recovery of remote '" + remote + "' (it resumes next time)");
    report.refused = pushed->refused;
    if (pushed->epoch_changed) {
      ++report.second_wipes;
      HF_RETURN_IF_ERROR(AddPendingTotals(session, &report));
    }
    Result<int64_t> differing = ReadBack(session);
    if (!differing) return differing.error().WithContext("read-back of remote '" + remote + "' (the recovery resumes next time)");
    report.items_differing_at_end = *differing;
    if (*differing == 0) {
      report.verified = true;
      break;
    }
  }
  report.rounds = std::min(report.rounds, kMaxRounds);
  report.duration_ms = clock.SteadyMs() - started;
  HF_RETURN_IF_ERROR(ledger.AddRecoveryRecord(
      storage::RecoveryRecord{session.now_ms(), clock.NowMs(), report.verified, report.ToJson()}));
  if (report.verified) {
    HF_RETURN_IF_ERROR(ledger.SetRecovery(std::nullopt));
    // A verified read-back covers every collection: an operator's request
    // pending meanwhile is satisfied too.
    if (check->reupload) HF_RETURN_IF_ERROR(ledger.SetReuploadDone(check->reupload->id));
  }
  return report;
}

}  // namespace holdfast::agent
