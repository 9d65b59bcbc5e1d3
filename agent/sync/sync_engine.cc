#include "agent/sync/sync_engine.h"

namespace holdfast::agent {

SyncEngine::SyncEngine(storage::Vault& vault, RemoteBackend& backend, const platform::Clock& clock,
                       PushProgressFn progress)
    : session_(vault, backend, clock), progress_(std::move(progress)) {}

Result<CheckReport> SyncEngine::Check() { return agent::Check(session_); }

Result<RecoverReport> SyncEngine::Recover(const RecoverRequest& request) {
  return agent::Recover(session_, request, progress_);
}

Result<SyncReport> SyncEngine::Push() {
  // Detection at every push: a loss (or an operator's request whose slot
  // has come, or a recovery left unfinished) turns this push into a
  // recovery. Otherwise the push goes on with the state detection read.
  SyncReport report;
  Result<RecoverReport> recovered = agent::Recover(session_, RecoverRequest{}, progress_);
  if (!recovered) return recovered.error();
  report.recovery = std::move(*recovered);
  if (report.recovery.started) return report;
  Result<PushReport> pushed = PushPending(session_, progress_);
  if (!pushed) return pushed.error();
  report.push = std::move(*pushed);
  return report;
}

}  // namespace holdfast::agent
