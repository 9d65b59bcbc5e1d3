#include "agent/sync/sync_session.h"

namespace holdfast::agent {

SyncSession::SyncSession(storage::Vault& vault, RemoteBackend& backend, const platform::Clock& clock)
    : vault_(vault), backend_(backend), clock_(clock), ledger_(vault, backend.name()), now_ms_(clock.NowMs()) {}

Result<const RemoteState*> SyncSession::State() {
  if (!state_) {
    Result<RemoteState> state = backend_.ReadState();
    if (!state) return state.error();
    state_ = std::move(*state);
  }
  return &*state_;
}

Result<bool> SyncSession::EpochChanged(const RemoteState& state) {
  Result<std::optional<std::string>> known = ledger_.Epoch();
  if (!known) return known.error();
  return known->has_value() && **known != state.epoch;
}

Result<bool> SyncSession::AdoptEpoch(const RemoteState& state) {
  Result<bool> changed = EpochChanged(state);
  if (!changed) return changed.error();
  // The server lost or replaced its data: what it acknowledged before is no
  // longer there. Set the ledger aside; everything is sent again.
  if (*changed) HF_RETURN_IF_ERROR(ledger_.Clear());
  HF_RETURN_IF_ERROR(ledger_.SetEpoch(state.epoch, now_ms_));
  return *changed;
}

}  // namespace holdfast::agent
