#include "agent/sync/check.h"

#include <algorithm>
#include <climits>
#include <map>

#include "agent/sync/held_content.h"
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


// Whether `tokens` say anything (a server may list the property empty).
bool HasMarkers(const std::optional<storage::CollectionTokens>& tokens) {
  return tokens && !(tokens->sync_token.empty() && tokens->ctag.empty());
}

// One collection whose summary did not settle it (or that has none): by its
// change markers when they equal the recorded ones, else by its inventory.
// What a push killed before it recorded the server's answers left is no
// loss: items beyond the ledger, an item held with the vault's current
// content (newer than the ledger's), an item gone that the vault has
// deleted since (its deletion arrived). Errors: vault errors; the server's
// are the collection's kUnknown.
Status ExamineInventory(SyncSession& session, const storage::CollectionInfo& c, const std::string& id,
                        const std::vector<storage::LedgerEntry>& acknowledged,
                        const std::optional<storage::CollectionTokens>& server_markers, CollectionCheck* check) {
  storage::Vault& vault = session.vault();
  storage::Ledger& ledger = session.ledger();
  RemoteBackend& backend = session.backend();
  auto unknown = [&](const Status& why) {
    check->health = Health::kUnknown;
    check->reason = why.message();
    check->missing_item_ids.clear();
    check->missing_uids.clear();
    check->missing = 0;
    check->changed_elsewhere.clear();
    return Status::Ok();
  };
  Result<std::optional<storage::CollectionTokens>> recorded = ledger.Tokens(id);
  if (!recorded) return recorded.error();
  if (HasMarkers(server_markers) && *recorded && **recorded == *server_markers) {
    check->by_markers = true;
    check->reason = "unchanged since it was last found healthy (sync token and CTag as recorded)";
    return Status::Ok();
  }
  // Markers other than the recorded ones: a sync token the server no longer
  // knows means its store was reset or replaced; the whole inventory decides.
  if (*recorded && !(*recorded)->sync_token.empty() && HasMarkers(server_markers)) {
    Result<bool> known = backend.KnowsSyncToken(id, (*recorded)->sync_token);
    if (!known) return unknown(known.error());
    check->sync_token_unknown = !*known;
  }
  Result<Inventory> inventory = backend.ListInventory(id);
  if (!inventory) return unknown(inventory.error());
  if (!inventory->collection_gone) check->on_server = static_cast<int64_t>(inventory->items.size());
  int64_t earlier = 0;
  std::vector<storage::LedgerAck> retagged;
  for (const storage::LedgerEntry& e : acknowledged) {
    const std::string name = backend.ItemName(e.uid);
    auto held = inventory->items.find(name);
    const std::string token = e.version.empty() ? platform::ToHex(e.sha256) : e.version;
    if (held != inventory->items.end() && held->second == token) continue;
    bool missing = false;
    if (held != inventory->items.end() && backend.ReadBackContent()) {
      // The token does not name the content: the content decides.
      Result<std::optional<std::string>> bytes = backend.ReadItem(id, name);
      if (!bytes) return unknown(bytes.error());
      if (bytes->has_value()) {
        Result<HeldContent> what = ClassifyHeld(vault, backend, id, c.id, e.uid, &e.sha256, **bytes);
        if (!what) return what.error();
        if (*what == HeldContent::kCurrent || *what == HeldContent::kAcknowledged) {
          // The same item under another token (a server that re-tags what it
          // did not change, a push killed before it recorded its answer):
          // the token read now is recorded, so the next check compares
          // tokens again instead of contents.
          if (!held->second.empty()) {
            storage::LedgerAck ack{e.item_id, e.sha256, false, held->second};
            if (*what == HeldContent::kCurrent) {
              Result<std::optional<storage::ItemRecord>> item = vault.FindItem(c.id, e.uid);
              if (!item) return item.error();
              if (item->has_value()) ack.sha256 = (*item)->sha256;
            }
            retagged.push_back(std::move(ack));
          }
          continue;
        }
        if (*what == HeldContent::kOther) {
          check->changed_elsewhere.push_back(e.uid);
          continue;
        }
        ++earlier;
        missing = true;
      }
    }
    if (!missing) {
      Result<bool> arrived = ArrivedSince(vault, c.id, e.uid,
                                          held == inventory->items.end() ? nullptr : &held->second);
      if (!arrived) return arrived.error();
      missing = !*arrived;
    }
    if (missing) {
      check->missing_item_ids.push_back(e.item_id);
      check->missing_uids.push_back(e.uid);
    }
  }
  HF_RETURN_IF_ERROR(ledger.RecordAcks(retagged, session.now_ms()));
  check->missing = static_cast<int64_t>(check->missing_item_ids.size());
  std::string note;
  if (check->sync_token_unknown) {
    note = "the server no longer knows the sync token recorded when this collection was last found healthy: "
           "its store was reset or replaced by another copy";
  }
  if (!check->missing_item_ids.empty()) {
    check->health = Health::kLost;
    check->reason = std::to_string(check->missing_item_ids.size()) + " of " + std::to_string(check->acknowledged) +
                    " acknowledged items are missing or differ on the server";
    if (earlier > 0) check->reason += " (" + std::to_string(earlier) + " held in an earlier version this device had)";
    if (!note.empty()) check->reason += "; " + note;
    // The markers stay: a later check still names a sync token unknown; the
    // recovery forgets them when it sets the items aside.
    return Status::Ok();
  }
  if (!check->changed_elsewhere.empty()) {
    check->reason = std::to_string(check->changed_elsewhere.size()) +
                    " acknowledged item(s) changed on the server by another client (kept there, not a loss)";
    if (!note.empty()) check->reason += "; " + note;
    // Markers recorded before stay no baseline: a push must not record new
    // ones over this (push.cc), so every check shows it until it is settled.
    return ledger.ForgetTokens(id);
  }
  if (!note.empty()) check->reason = note + "; every acknowledged item is there";
  // Found healthy by the inventory: the markers read before it stand for
  // this state from now on.
  if (HasMarkers(server_markers)) return ledger.SetTokens(id, *server_markers, session.now_ms());
  return ledger.ForgetTokens(id);
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

Result<CheckReport> Check(SyncSession& session, const CheckOptions& options) {
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
  std::map<std::string, std::optional<storage::CollectionTokens>> markers;
  size_t unreadable = state.unreadable_collections;
  for (const RemoteState::Collection& c : state.collections) {
    if (summarised && !c.summary) ++unreadable;
    server[c.id] = c.summary;
    markers[c.id] = c.tokens;
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
    const std::string id = backend.CollectionId(c);
    auto found = server.find(id);
    if (found != server.end() && found->second) check.on_server = found->second->items;
    if (report.epoch_changed || found == server.end()) {
      // Whatever was acknowledged is lost: counted as the ledger streams
      // by, the first options.max_listed of it named.
      HF_RETURN_IF_ERROR(ledger.ForEachEntry(c.id, [&](storage::LedgerEntry&& e) {
        ++check.acknowledged;
        if (check.missing_item_ids.size() < options.max_listed) {
          check.missing_item_ids.push_back(e.item_id);
          check.missing_uids.push_back(std::move(e.uid));
        }
        return Status::Ok();
      }));
      if (report.epoch_changed) {
        check.health = Health::kLost;
        check.reason = "the server's store was replaced (new epoch): everything it had acknowledged is gone";
      } else if (check.acknowledged > 0) {
        check.health = Health::kLost;
        check.reason = "the collection is gone from the server";
      }
      if (check.health == Health::kLost) {
        check.missing = check.acknowledged;
        check.all_lost = true;
      }
    } else {
      Result<std::vector<storage::LedgerEntry>> acknowledged = ledger.EntriesFor(c.id);
      if (!acknowledged) return acknowledged.error();
      check.acknowledged = static_cast<int64_t>(acknowledged->size());
      if (check.acknowledged > 0 && (!found->second || *found->second != *backend.SummaryOf(*acknowledged))) {
        Status examined = ExamineInventory(session, c, id, *acknowledged, markers[id], &check);
        if (!examined.ok()) return examined;
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
