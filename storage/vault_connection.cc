#include "storage/vault_connection.h"

namespace holdfast::storage {

Status VaultConnection::BeginBatch() {
  if (batch_open_) return Status(ErrorCode::kInternal, "a write batch is already open");
  HF_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  batch_open_ = true;
  return Status::Ok();
}

Status VaultConnection::CommitBatch() {
  batch_open_ = false;
  Status status = db_->Exec("COMMIT");
  if (!status.ok()) {
    (void)db_->Exec("ROLLBACK");
    known_collections_.clear();
  }
  return status;
}

void VaultConnection::RollbackBatch() {
  (void)db_->Exec("ROLLBACK");
  batch_open_ = false;
  known_collections_.clear();
}

Status VaultConnection::InTransaction(const std::function<Status()>& body) {
  if (batch_open_) return body();
  Result<std::unique_ptr<Transaction>> txn = Transaction::Begin(*db_);
  if (!txn) return txn.error();
  Status status = body();
  if (status.ok()) status = (*txn)->Commit();
  if (!status.ok()) known_collections_.clear();  // rolled back with the transaction
  return status;
}

}  // namespace holdfast::storage
