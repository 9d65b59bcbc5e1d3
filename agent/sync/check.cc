#include "agent/sync/check.h"

#include <algorithm>
#include <climits>
#include <map>

#include "platform/sha256.h"

namespace holdfast::agent {
namespace {

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

Result<CheckReport> Check(SyncSession& session) {
  storage::Vault& vault = session.vault();
  storage::Ledger& ledger = session.ledger();
  RemoteBackend& backend = session.backend();
  CheckReport report;
  report.remote = session.remote();
  Result<std::vector<storage::CollectionInfo>> collections = vault.ListCollections();
  if (!collections) return collections.error();
  auto all_unknown = [&](const Status& why) {
    report.unreachable = why;
    for (const storage::CollectionInfo& c : *collections) {
      report.collections.push_back(CollectionCheck{c, Health::kUnknown, why.message(), 0, -1, {}});
    }
    return report;
  };

  Result<const RemoteState*> read = session.State();
  if (!read) return all_unknown(read.error());
  const RemoteState& state = **read;
  report.epoch = state.epoch;
  // A backend that keeps summaries must give one for every collection: a
  // listing without them is not an answer to compare with.
  const bool summarised = backend.SummaryOf({}).has_value();
  std::map<std::string, std::optional<CollectionSummary>> server;
  size_t unreadable = state.unreadable_collections;
  for (const RemoteState::Collection& c : state.collections) {
    if (summarised && !c.summary) ++unreadable;
    server[c.id] = c.summary;
  }
  if (unreadable > 0) {
    return all_unknown(Status(ErrorCode::kServerError, state.source + ": a collection lacks id, items or digest"));
  }
  Result<bool> epoch_changed = session.EpochChanged(state);
  if (!epoch_changed) return epoch_changed.error();
  report.epoch_changed = *epoch_changed;

  if (state.reupload) {
    ReuploadRequest request;
    request.id = state.reupload->id;
    request.not_before_ms = state.reupload->not_before_ms;
    request.spread_ms = state.reupload->spread_ms;
    request.slot_ms = ReuploadSlot(vault.device_id(), request.id, request.not_before_ms, request.spread_ms);
    Result<std::string> done = ledger.ReuploadDone();
    if (!done) return done.error();
    request.done = *done == request.id;
    report.reupload = request;
  }

  for (const storage::CollectionInfo& c : *collections) {
    CollectionCheck check{c, Health::kHealthy, "", 0, -1, {}};
    Result<std::vector<storage::LedgerEntry>> acknowledged = ledger.EntriesFor(c.id);
    if (!acknowledged) return acknowledged.error();
    check.acknowledged = static_cast<int64_t>(acknowledged->size());
    const std::string id = backend.CollectionId(c);
    auto found = server.find(id);
    if (found != server.end() && found->second) check.on_server = found->second->items;
    if (report.epoch_changed) {
      check.health = Health::kLost;
      check.reason = "the server's store was replaced (new epoch): everything it had acknowledged is gone";
      for (const storage::LedgerEntry& e : *acknowledged) check.missing_item_ids.push_back(e.item_id);
    } else if (check.acknowledged > 0 && found == server.end()) {
      check.health = Health::kLost;
      check.reason = "the collection is gone from the server";
      for (const storage::LedgerEntry& e : *acknowledged) check.missing_item_ids.push_back(e.item_id);
    } else if (check.acknowledged > 0 && (!found->second || *found->second != *backend.SummaryOf(*acknowledged))) {
      // The summaries differ (or the backend keeps none): the inventory
      // names what is missing. What a push killed before it recorded the
      // server's answers left is no loss: items beyond the ledger, an item
      // held with the vault's current content (newer than the ledger's), an
      // item gone that the vault has deleted since (its deletion arrived).
      Result<Inventory> inventory = backend.ListInventory(id);
      if (!inventory) {
        check.health = Health::kUnknown;
        check.reason = inventory.error().message();
        report.collections.push_back(std::move(check));
        continue;
      }
      for (const storage::LedgerEntry& e : *acknowledged) {
        auto held = inventory->items.find(backend.ItemName(e.uid));
        const std::string token = e.version.empty() ? platform::ToHex(e.sha256) : e.version;
        if (held != inventory->items.end() && held->second == token) continue;
        Result<bool> arrived =
            ArrivedSince(vault, c.id, e.uid, held == inventory->items.end() ? nullptr : &held->second);
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
