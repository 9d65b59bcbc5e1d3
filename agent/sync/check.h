// Detection: has a remote lost what it acknowledged? Compares the server's
// state (RemoteBackend::ReadState) with the vault's ledger, collection by
// collection; the first step of every sync command (sync_engine.h).
//
//   healthy         every item the ledger says the server holds is there
//   lost            the epoch changed (the server's store was replaced), the
//                   collection is gone, or acknowledged items are missing or
//                   differ (found by the collection's summary, when the
//                   backend keeps one, then named by an inventory listing: a partial loss names only what is gone;
//                   what the vault's own killed push changed, the current
//                   content or a deletion, is no loss)
//                   An acknowledged item the server lists with another
//                   version token is read (backends whose tokens do not
//                   name the content, DAV) and sorted by held_content.h: the
//                   vault's current or the acknowledged content is no loss;
//                   an EARLIER content this device had is a loss (an older
//                   copy of the store put back); any other content is
//                   another client's change: reported per item in
//                   `changed_elsewhere`, not a loss, never overwritten.
//   reupload        the operator asked the devices to upload again
//   unknown         unreachable, timed out, 5xx, refused credentials: never
//                   read as empty, never a reason to recover
// Change markers (RemoteState::Collection::tokens, DAV: sync token and
// CTag): a collection whose markers equal the ones the ledger recorded
// (Ledger::Tokens) is healthy without its inventory being listed; other
// markers mean the inventory is listed in full, and a recorded sync token
// the server no longer knows (KnowsSyncToken) is named in the reason as a
// store reset or replaced. The only write: a collection found healthy by
// its inventory, with nothing changed elsewhere, gets the markers read
// BEFORE that inventory recorded (Ledger::SetTokens), so that a change
// after them still shows next time. Nothing else the server says changes
// the vault here, but for forgetting the markers of a collection where
// another client changed an item (so that no push records new ones over it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/sync/sync_session.h"
#include "platform/status.h"
#include "storage/vault.h"

namespace holdfast::agent {

enum class Health { kHealthy, kLost, kReupload, kUnknown };
const char* HealthName(Health health);  // "healthy", "lost", "reupload-requested", "unknown"

struct CollectionCheck {
  storage::CollectionInfo collection;
  Health health = Health::kHealthy;
  std::string reason;                     // for people: "3 of 165 acknowledged items are missing"
  int64_t acknowledged = 0;               // by the ledger
  int64_t on_server = -1;                 // -1: unknown
  std::vector<int64_t> missing_item_ids;  // acknowledged but missing or different on the server
  std::vector<std::string> missing_uids = {};  // the same items' uids, for messages
  // How many acknowledged items are missing or differ; the two lists above
  // may name fewer (CheckOptions::max_listed), only when all_lost.
  int64_t missing = 0;
  // Every item the ledger acknowledged in the collection is lost (a new
  // epoch, the collection gone): recovery sets the whole collection aside.
  bool all_lost = false;
  // Acknowledged items the server holds in a version this device never had
  // (another client's change), by uid: not a loss; recovery leaves them.
  std::vector<std::string> changed_elsewhere = {};
  bool by_markers = false;  // healthy because the change markers equal the recorded ones (no inventory listed)
  bool sync_token_unknown = false;  // the server no longer knows the sync token recorded
};

struct ReuploadRequest {
  std::string id;
  int64_t not_before_ms = 0;
  int64_t spread_ms = 0;
  int64_t slot_ms = 0;  // this device's moment in the window
  bool done = false;    // already carried out by this device
};

struct CheckReport {
  std::string remote;
  Status unreachable;  // not OK: every collection is kUnknown for this reason
  std::string epoch;
  bool epoch_changed = false;
  std::optional<ReuploadRequest> reupload;
  std::vector<CollectionCheck> collections;
  bool AnyLost() const;
};

// This device's moment in an operator's re-upload window: not_before plus a
// fraction of the spread derived from SHA-256(device id, request id), so
// that a fleet spreads evenly and each device keeps its slot.
int64_t ReuploadSlot(const std::string& device_id, const std::string& request_id, int64_t not_before_ms,
                     int64_t spread_ms);

struct CheckOptions {
  // The most items a collection whose every acknowledged item is lost
  // (CollectionCheck::all_lost) lists in missing_item_ids and missing_uids;
  // `missing` counts them all. Memory then holds that many, not the
  // collection's count.
  size_t max_listed = SIZE_MAX;
};

// Runs the checks over the session's state of the server (read now unless
// the session holds it already). Errors are vault errors only: a server that
// cannot be asked gives a report whose `unreachable` says why.
Result<CheckReport> Check(SyncSession& session, const CheckOptions& options = {});

}  // namespace holdfast::agent
