// One command's conversation with one remote: the backend (one connection
// pool for the whole command), the vault and its ledger for that remote, the
// clock, and the server's state as last read. Detection, recovery and push
// (check.h, recover.h, push.h) all work through one session, so that a
// `holdfast push` asks the server for its state once, and the server's epoch
// is compared with the ledger's in one place (EpochChanged, AdoptEpoch).
// Not thread-safe. The session borrows everything it is given; each must
// outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "storage/ledger.h"
#include "agent/sync/remote_backend.h"
#include "platform/clock.h"
#include "platform/status.h"
#include "storage/vault.h"

namespace holdfast::agent {

class SyncSession {
 public:
  // `clock` gives now_ms() once, here: the time the vault records for this command.
  SyncSession(storage::Vault& vault, RemoteBackend& backend, const platform::Clock& clock);

  storage::Vault& vault() { return vault_; }
  storage::Ledger& ledger() { return ledger_; }
  RemoteBackend& backend() { return backend_; }
  const platform::Clock& clock() const { return clock_; }
  const std::string& remote() const { return backend_.name(); }
  int64_t now_ms() const { return now_ms_; }

  // The server's state: read from the server the first time, and again only
  // after ForgetState(). Errors: those of RemoteBackend::ReadState (unknown,
  // never empty); an error is not kept, the next call asks again.
  Result<const RemoteState*> State();
  // The next State() asks the server: call it once the server may have
  // changed (after a push or a read-back, a collection found gone).
  void ForgetState() { state_.reset(); }

  // Whether the server's epoch differs from the one the ledger belongs to
  // (false before the first push). Read-only. Errors: vault errors.
  Result<bool> EpochChanged(const RemoteState& state);
  // Makes the server's epoch the ledger's. A different one first sets the
  // whole ledger aside: what the old store acknowledged is gone. Returns
  // whether it differed. Errors: vault errors.
  Result<bool> AdoptEpoch(const RemoteState& state);

 private:
  storage::Vault& vault_;
  RemoteBackend& backend_;
  const platform::Clock& clock_;
  storage::Ledger ledger_;
  const int64_t now_ms_;
  std::optional<RemoteState> state_;
};

}  // namespace holdfast::agent
