// The vault's ledger for one remote: what that remote acknowledged, its
// epoch, a recovery in progress. The sync engine reaches the ledger only
// through this view, so that every ledger call of agent/sync/ names no
// remote and goes through one place. (storage/ is to get a ledger view of its
// own, bound to one remote, with these names; this class then goes.)
// Each call is the storage::Vault call of the same name, with the same
// contract, errors and durability; see storage/vault.h.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/vault.h"

namespace holdfast::agent {

class LedgerView {
 public:
  LedgerView(storage::Vault& vault, std::string remote) : vault_(vault), remote_(std::move(remote)) {}
  const std::string& remote() const { return remote_; }

  Status ForEachPending(const std::function<Status(storage::PendingChange&&)>& visit) {
    return vault_.ForEachPending(remote_, visit);
  }
  Status RecordAcks(const std::vector<storage::LedgerAck>& acks, int64_t now_ms) {
    return vault_.RecordAcks(remote_, acks, now_ms);
  }
  Result<bool> RemoteHasBlob(const platform::Digest& sha256) { return vault_.RemoteHasBlob(remote_, sha256); }
  Status RecordRemoteBlob(const platform::Digest& sha256) { return vault_.RecordRemoteBlob(remote_, sha256); }
  Status ForgetRemoteBlob(const platform::Digest& sha256) { return vault_.ForgetRemoteBlob(remote_, sha256); }
  Result<std::optional<std::string>> RemoteEpoch() { return vault_.RemoteEpoch(remote_); }
  Status SetRemoteEpoch(std::string_view epoch, int64_t now_ms) { return vault_.SetRemoteEpoch(remote_, epoch, now_ms); }
  Result<std::vector<storage::LedgerEntry>> LedgerFor(int64_t collection_id) {
    return vault_.LedgerFor(remote_, collection_id);
  }
  Status ForgetAcks(const std::vector<int64_t>& item_ids) { return vault_.ForgetAcks(remote_, item_ids); }
  Status ForgetCollectionAcks(int64_t collection_id) { return vault_.ForgetCollectionAcks(remote_, collection_id); }
  Status ClearLedger() { return vault_.ClearLedger(remote_); }
  Result<std::optional<storage::RecoveryState>> Recovery() { return vault_.Recovery(remote_); }
  Status SetRecovery(const std::optional<storage::RecoveryState>& state) { return vault_.SetRecovery(remote_, state); }
  Status SetRecoveryProgress(std::string_view progress) { return vault_.SetRecoveryProgress(remote_, progress); }
  Result<std::string> ReuploadDone() { return vault_.ReuploadDone(remote_); }
  Status SetReuploadDone(std::string_view id) { return vault_.SetReuploadDone(remote_, id); }
  Status AddRecoveryRecord(const storage::RecoveryRecord& record) { return vault_.AddRecoveryRecord(remote_, record); }

 private:
  storage::Vault& vault_;
  std::string remote_;
};

}  // namespace holdfast::agent
