// The sync engine: everything the agent does with a remote, as one policy
// over one connection. Each command (`holdfast check`, `push`, `recover`,
// `reupload`) builds one engine over one RemoteBackend and calls one method:
//
//   detect (check.h) -> recover if needed (recover.h) -> push (push.h) -> read-back
//
//   Check()    detection only: read-only, nothing changes on either side.
//   Recover()  detection, then a recovery when something was lost, an
//              operator's re-upload slot has come, a re-upload was asked
//              for, or a recovery was left unfinished; ends with read-back.
//   Push()     the same detection and recovery first (a push never sends
//              over a loss it has not seen), then the ordinary push.
//
// All of them share one SyncSession: the server's state is read once per
// command (a push that finds nothing to recover asks for it once), and the
// server's epoch meets the ledger's in one place (SyncSession::AdoptEpoch).
// The clock is injected: the time recorded in the vault, durations, and the
// wait for an operator's slot all come from it.
//
// The engine borrows the vault, the backend and the clock; they must outlive
// it. Not thread-safe. What it records in the vault is durable when a call
// returns, including after an error (acknowledgements, a recovery in
// progress): the next command resumes from there.
#pragma once

#include <optional>

#include "agent/sync/check.h"
#include "agent/sync/push.h"
#include "agent/sync/recover.h"
#include "agent/sync/remote_backend.h"
#include "agent/sync/sync_session.h"
#include "platform/clock.h"
#include "storage/vault.h"

namespace holdfast::agent {

// What one `push` did: a recovery (when one started, it replaced the push),
// else the push.
struct SyncReport {
  RecoverReport recovery;         // recovery.started: the push was a recovery
  std::optional<PushReport> push; // set when no recovery started
};

class SyncEngine {
 public:
  // `progress` (may be empty) sees every push's progress.
  SyncEngine(storage::Vault& vault, RemoteBackend& backend, const platform::Clock& clock,
             PushProgressFn progress = {});

  // Errors: vault errors only; an unknown server is in the report.
  Result<CheckReport> Check();
  // Errors: those of agent::Recover (recover.h).
  Result<RecoverReport> Recover(const RecoverRequest& request);
  // Errors: those of Recover with no request (an unknown server starts
  // nothing and is an error), then those of the push (push.h).
  Result<SyncReport> Push();

 private:
  SyncSession session_;
  PushProgressFn progress_;
};

}  // namespace holdfast::agent
