// What the parts of a vault share: its one SQLite connection, the WriteBatch
// that may be open on it, and the rule by which a write joins that batch or
// runs in a transaction of its own.
//
// Private to storage/. A Vault owns one VaultConnection; its BlobStore,
// CaptureState and every Ledger view borrow it, so they all write through the
// same connection and into the same open batch. Not thread-safe (see vault.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>

#include "platform/status.h"
#include "storage/sqlite_handle.h"

namespace holdfast::storage {

class VaultConnection {
 public:
  explicit VaultConnection(std::unique_ptr<Db> db) : db_(std::move(db)) {}
  VaultConnection(const VaultConnection&) = delete;
  VaultConnection& operator=(const VaultConnection&) = delete;

  Db& db() { return *db_; }

  // BEGIN IMMEDIATE for a WriteBatch; kInternal if one is already open.
  Status BeginBatch();
  // COMMIT of the open batch; after an error it is rolled back. Either way
  // the batch is closed.
  Status CommitBatch();
  // ROLLBACK of the open batch, which is closed.
  void RollbackBatch();

  // Runs `body` in the open batch, or in a transaction of its own that
  // commits when `body` returns OK and rolls back otherwise.
  Status InTransaction(const std::function<Status()>& body);

  // Collections confirmed to exist (none is ever deleted). Emptied whenever a
  // transaction or batch rolls back: a collection it created is gone.
  std::set<int64_t>& known_collections() { return known_collections_; }

 private:
  std::unique_ptr<Db> db_;
  bool batch_open_ = false;
  std::set<int64_t> known_collections_;
};

}  // namespace holdfast::storage
