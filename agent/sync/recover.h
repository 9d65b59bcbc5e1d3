// Recovery: put back on a remote what it lost, and prove it by reading it
// back. The agent's main job (docs/protocol.md, "What a client may conclude").
//
// One part of the sync engine (sync_engine.h), over its session.
//
// 1. Detection (check.h) decides whether there is anything to do:
//    a loss, an operator's re-upload request whose slot has come, or a
//    re-upload asked by hand. An unknown state (unreachable, failing,
//    refused) never starts one: the error is returned as it is.
// 2. The recovery is recorded in the vault (remote_state) before anything is
//    set aside, so a recovery killed at any point resumes: the next run finds
//    it and goes on.
// 3. The acknowledgements of what was lost are set aside (only those: a
//    partial loss re-sends only what is missing), then the ordinary push
//    sends the vault again: contacts, calendars, tasks, notes, photos newest
//    first, including what was captured meanwhile. A second wipe during the
//    recovery shows as a new epoch, and the push starts over against it.
// 4. Read-back: every collection's inventory is listed and compared with the
//    vault's live items, uid and SHA-256. What differs is sent again; items
//    the server has that the vault does not hold live are deleted there. The
//    recovery ends as verified only when they are equal (at most 4 rounds).
// 5. A report (per kind: items and bytes re-sent; duration; verified) is
//    kept in the vault and shown by `status`.
// Nothing the server says changes or deletes the vault's items.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/sync/check.h"
#include "agent/sync/push.h"
#include "agent/sync/sync_session.h"
#include "storage/vault.h"

namespace holdfast::agent {

// What a recovery is asked to do beyond what detection finds.
struct RecoverRequest {
  bool manual_reupload = false;            // `holdfast reupload`: send everything (or one collection) again
  std::optional<std::string> collection;   // with manual_reupload
  bool wait_for_slot = false;              // an operator's request: wait (on the session's clock) until this
                                           // device's slot (at most 24 h; a later slot is kServerError)
};

struct KindTotals {
  int64_t items = 0;
  int64_t bytes = 0;
};

struct RecoverReport {
  std::string remote;
  CheckReport check;            // what detection found
  bool started = false;         // false: nothing to do (or waiting for the slot)
  bool resumed = false;         // went on with a recovery an earlier run left
  std::string reason;           // "epoch", "lost", "reupload ID", "manual"
  int64_t waiting_until_ms = 0; // an operator's request whose slot has not come
  int rounds = 0;
  bool verified = false;
  int64_t second_wipes = 0;     // the epoch changed again during the recovery
  KindTotals by_kind[std::size(storage::kAllItemKinds)];  // re-sent, by storage::ItemKind
  int64_t items_differing_at_end = 0;
  // What the server refused in the last round's push ("item 'UID': reason"),
  // e.g. another client's version of an item, kept there (docs/dav.md).
  std::vector<std::string> refused;
  int64_t duration_ms = 0;
  std::string ToJson() const;   // the record kept in the vault
};

// Steps 1-5 over the session. `progress` (may be empty) sees the pushes.
// Errors: detection's unknown state (kNetwork, kServerError, kAuthFailed,
// kTlsFailure) when a recovery would otherwise start; push errors (the
// recovery stays recorded and resumes next time); vault errors.
Result<RecoverReport> Recover(SyncSession& session, const RecoverRequest& request, const PushProgressFn& progress);

}  // namespace holdfast::agent
