#include "agent/sync/check.h"

#include <algorithm>
#include <climits>
#include <map>

#include "agent/sync/push.h"
#include "agent/sync/replies.h"
#include "platform/sha256.h"
#include "platform/wire_text.h"
#include "storage/ledger.h"

namespace holdfast::agent {
namespace {

using nlohmann::json;

// More items than any handset holds: a listing that goes on past this is a
// server generating pages, not an inventory (docs/protocol.md).
constexpr size_t kMaxInventoryItems = 1'000'000;

// The digest of docs/protocol.md: over the uids as the server holds them
// (their wire form), in the byte order of that form.
std::string DigestOf(const std::vector<storage::LedgerEntry>& entries) {
  std::vector<std::pair<std::string, std::string>> sorted;
  sorted.reserve(entries.size());
  for (const storage::LedgerEntry& e : entries) sorted.emplace_back(platform::ToWireText(e.uid), platform::ToHex(e.sha256));
  std::sort(sorted.begin(), sorted.end());
  platform::Sha256 hasher;
  for (const auto& [uid, sha] : sorted) {
    hasher.Update(uid);
    hasher.Update(std::string_view("\0", 1));
    hasher.Update(sha);
    hasher.Update("\n");
  }
  return platform::ToHex(hasher.Finish());
}

// Whether an acknowledged item that the server lacks (`held` null) or holds
// with other content got there by this vault's own later push: the server
// holds the item's current content, or lacks an item the vault has deleted.
Result<bool> ArrivedSince(storage::Vault& vault, int64_t collection_id, const std::string& uid,
                          const std::string* held) {
  Result<std::optional<storage::ItemRecord>> item = vault.FindItem(collection_id, uid);
  if (!item) return item.error();
  if (!item->has_value()) return false;
  if ((*item)->deleted) return held == nullptr;
  return held != nullptr && *held == platform::ToHex((*item)->sha256);
}

}  // namespace

Result<std::map<std::string, std::string>> ListInventory(RemoteClient& client, const std::string& id) {
  std::map<std::string, std::string> items;
  std::string after;
  bool first = true;
  while (first || !after.empty()) {
    first = false;
    const std::string path = "/collections/" + id + "/inventory?limit=5000" +
                             (after.empty() ? "" : "&after=" + EncodePathSegment(after));
    Result<platform::HttpResponse> reply = client.CallNow("GET", path);
    if (!reply) return reply.error();
    if (reply->status == 404) return items;
    if (reply->status != 200) return ProblemStatus(*reply, "GET " + path);
    Result<json> body = ParseJsonReply(*reply, "GET " + path);
    if (!body) return body.error();
    Result<InventoryPage> page = ParseInventoryPage(*body, after, "GET " + path);
    if (!page) return page.error();
    for (auto& [uid, sha] : page->items) items[std::move(uid)] = std::move(sha);
    if (items.size() > kMaxInventoryItems) {
      return Status(ErrorCode::kServerError, "GET " + path + ": the inventory goes on past " +
                                                 std::to_string(kMaxInventoryItems) + " items");
    }
    after = std::move(page->next);
  }
  return items;
}

const char* HealthName(Health health) {
  switch (health) {
    case Health::kHealthy: return "healthy";
    case Health::kLost: return "lost";
    case Health::kReupload: return "reupload-requested";
    case Health::kUnknown: return "unknown";
  }
  return "unknown";
}

bool CheckReport::AnyLost() const {
  return std::any_of(collections.begin(), collections.end(), [](const CollectionCheck& c) { return c.health == Health::kLost; });
}

int64_t ReuploadSlot(const std::string& device_id, const std::string& request_id, int64_t not_before_ms,
                     int64_t spread_ms) {
  if (spread_ms <= 0) return not_before_ms;
  platform::Sha256 hasher;
  hasher.Update(device_id);
  hasher.Update(std::string_view("\0", 1));
  hasher.Update(request_id);
  const platform::Digest d = hasher.Finish();
  uint64_t x = 0;
  for (int i = 0; i < 8; ++i) x = (x << 8) | d[static_cast<size_t>(i)];
  const int64_t offset = static_cast<int64_t>(x % static_cast<uint64_t>(spread_ms));
  // A server's not_before_ms near the end of time saturates rather than wraps.
  if (not_before_ms > INT64_MAX - offset) return INT64_MAX;
  return not_before_ms + offset;
}

Result<CheckReport> Check(storage::Vault& vault, RemoteClient& client) {
  CheckReport report;
  report.remote = client.remote().name;
  const std::string& remote = report.remote;
  Result<std::vector<storage::CollectionInfo>> collections = vault.ListCollections();
  if (!collections) return collections.error();
  auto all_unknown = [&](const Status& why) {
    report.unreachable = why;
    for (const storage::CollectionInfo& c : *collections) {
      report.collections.push_back(CollectionCheck{c, Health::kUnknown, why.message(), 0, -1, {}});
    }
    return report;
  };

  Result<platform::HttpResponse> reply = client.CallNow("GET", "/state");
  if (!reply) return all_unknown(reply.error());
  if (reply->status != 200) return all_unknown(ProblemStatus(*reply, "GET /state"));
  Result<json> body = ParseJsonReply(*reply, "GET /state");
  if (!body) return all_unknown(body.error());
  Result<StateReply> state = ParseStateReply(*body, "GET /state");
  if (!state) return all_unknown(state.error());
  report.epoch = state->epoch;
  std::map<std::string, std::pair<int64_t, std::string>> server;  // id -> (items, digest)
  for (const StateReply::Collection& c : state->collections) {
    if (!c.has_counts) state->malformed_collections++;
    server[c.id] = {c.items, c.digest};
  }
  if (state->malformed_collections > 0) {
    return all_unknown(Status(ErrorCode::kServerError, "GET /state: a collection lacks id, items or digest"));
  }
  Result<std::optional<std::string>> known_epoch = storage::Ledger(vault, remote).Epoch();
  if (!known_epoch) return known_epoch.error();
  report.epoch_changed = known_epoch->has_value() && **known_epoch != report.epoch;

  if (state->reupload) {
    ReuploadRequest request;
    request.id = state->reupload->id;
    request.not_before_ms = state->reupload->not_before_ms;
    request.spread_ms = state->reupload->spread_ms;
    request.slot_ms = ReuploadSlot(vault.device_id(), request.id, request.not_before_ms, request.spread_ms);
    Result<std::string> done = storage::Ledger(vault, remote).ReuploadDone();
    if (!done) return done.error();
    request.done = *done == request.id;
    report.reupload = request;
  }

  for (const storage::CollectionInfo& c : *collections) {
    CollectionCheck check{c, Health::kHealthy, "", 0, -1, {}};
    Result<std::vector<storage::LedgerEntry>> ledger = storage::Ledger(vault, remote).EntriesFor(c.id);
    if (!ledger) return ledger.error();
    check.acknowledged = static_cast<int64_t>(ledger->size());
    const std::string id = RemoteCollectionId(c);
    auto found = server.find(id);
    if (found != server.end()) check.on_server = found->second.first;
    if (report.epoch_changed) {
      check.health = Health::kLost;
      check.reason = "the server's store was replaced (new epoch): everything it had acknowledged is gone";
      for (const storage::LedgerEntry& e : *ledger) check.missing_item_ids.push_back(e.item_id);
    } else if (check.acknowledged > 0 && found == server.end()) {
      check.health = Health::kLost;
      check.reason = "the collection is gone from the server";
      for (const storage::LedgerEntry& e : *ledger) check.missing_item_ids.push_back(e.item_id);
    } else if (check.acknowledged > 0 &&
               (found->second.first != check.acknowledged || found->second.second != DigestOf(*ledger))) {
      // Count or digest differ: the inventory names what is missing. What a
      // push killed before it recorded the server's answers left is no loss:
      // items beyond the ledger, an item held with the vault's current
      // content (newer than the ledger's), an item gone that the vault has
      // deleted since (its deletion arrived).
      Result<std::map<std::string, std::string>> inventory = ListInventory(client, id);
      if (!inventory) {
        check.health = Health::kUnknown;
        check.reason = inventory.error().message();
        report.collections.push_back(std::move(check));
        continue;
      }
      for (const storage::LedgerEntry& e : *ledger) {
        auto held = inventory->find(platform::ToWireText(e.uid));
        if (held != inventory->end() && held->second == platform::ToHex(e.sha256)) continue;
        Result<bool> arrived = ArrivedSince(vault, c.id, e.uid, held == inventory->end() ? nullptr : &held->second);
        if (!arrived) return arrived.error();
        if (!*arrived) check.missing_item_ids.push_back(e.item_id);
      }
      if (!check.missing_item_ids.empty()) {
        check.health = Health::kLost;
        check.reason = std::to_string(check.missing_item_ids.size()) + " of " + std::to_string(check.acknowledged) +
                       " acknowledged items are missing or differ on the server";
      }
    }
    if (check.health == Health::kHealthy && report.reupload && !report.reupload->done) {
      check.health = Health::kReupload;
      check.reason = "the operator asked for a re-upload (" + report.reupload->id + ")";
    }
    report.collections.push_back(std::move(check));
  }
  return report;
}

}  // namespace holdfast::agent
