// RAII owners for SQLite handles: storage/'s public toolkit for an SQLite
// file of one's own.
//
// Who may use it: storage/ itself, and tools/ and tests/ that keep or inspect
// an SQLite file of their own (the reference server's store, tests that read
// a vault or a server database behind the agent's back). They use these
// owners rather than a copy, so SQLite keeps one owner folder and one mapping
// of its errors. agent/ never includes it: it reaches the vault only through
// Vault and its parts (vault.h).
//
// Db owns a sqlite3 connection and a cache of prepared statements; Stmt is a
// borrowed or owned prepared statement with typed binds and columns;
// Transaction rolls back unless committed. Errors become Status values via
// SqliteStatus; nothing here throws or prints.
//
// This header includes <sqlite3.h>: Db::Open takes SQLITE_OPEN_* flags, and
// Db::get() hands out the connection for what these owners do not wrap. A
// user outside storage/ should need neither beyond those flags; the handle
// stays owned by its Db and must not be closed.
//
// Thread-safety: none of it is thread-safe. A Db opened without
// SQLITE_OPEN_FULLMUTEX (as the vault's is) must be used by one thread at a
// time; one opened with it still needs its user's lock around a statement's
// bind-step-reset (the server holds one mutex).
//
// Durability: whatever the connection's PRAGMAs make it; a Transaction's
// Commit returning OK means SQLite's COMMIT did.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace holdfast::storage {

// Maps an SQLite result code to a Status: FULL -> kNoSpace, CORRUPT/NOTADB ->
// kCorruptVault, BUSY/LOCKED -> kVaultLocked, CANTOPEN -> kNotFound,
// PERM/READONLY -> kPermission, IOERR -> kIoError, others -> kInternal.
Status SqliteStatus(sqlite3* db, int rc, std::string_view context);

class Stmt {
 public:
  Stmt() = default;
  explicit Stmt(sqlite3_stmt* stmt, bool owned) : stmt_(stmt), owned_(owned) {}
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&& other) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  // Binds are 1-based, as in SQLite. A bind that fails makes the next Step
  // fail (kInternal: a bug), never run with stale values. Text and blobs are copied (SQLITE_TRANSIENT)
  // unless BindStatic is used, whose bytes must outlive the next Step.
  Stmt& Bind(int index, int64_t value);
  Stmt& Bind(int index, std::string_view text);
  Stmt& BindBlob(int index, const void* data, size_t size_bytes);
  Stmt& BindBlobStatic(int index, const void* data, size_t size_bytes);
  Stmt& BindNull(int index);

  // true: a row is ready; false: done. An error comes back as a Status whose
  // context is the SQL text.
  Result<bool> Step();
  // Steps until done, for statements that return no rows.
  Status Run();

  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string Text(int column) const;
  // Valid until the next Step or Reset.
  std::string_view Blob(int column) const;

  void Reset();

 private:
  sqlite3_stmt* stmt_ = nullptr;
  bool owned_ = false;
  // The first bind that failed since the last Reset (e.g. a bind on a
  // statement stepped but not reset): Step reports it instead of running
  // with the old values.
  int bind_rc_ = SQLITE_OK;
  void Check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
};

class Db {
 public:
  // Opens `uri` (a file: URI) with `flags` | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE.
  static Result<std::unique_ptr<Db>> Open(const std::string& uri, int flags);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* get() const { return db_; }

  // Runs one or more statements that return no rows.
  Status Exec(std::string_view sql);
  // A statement owned by the caller.
  Result<Stmt> Prepare(std::string_view sql);
  // A statement cached for the life of the connection, reset and unbound.
  // `sql` should be a string literal (it is the cache key).
  Result<Stmt> Cached(const char* sql);
  // Runs a query that returns one integer (the first column of the first row).
  Result<int64_t> QueryInt(std::string_view sql);
  // How long a statement waits for another connection's lock before failing
  // with kVaultLocked (SQLITE_BUSY); 0 (the default) fails at once.
  void SetBusyTimeout(int timeout_ms);

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  sqlite3* db_;
  std::map<const char*, std::unique_ptr<sqlite3_stmt, StmtDeleter>> cache_;
};

// Steps `stmt` to the end and returns read_row(stmt) for each row.
template <typename ReadRow>
auto CollectRows(Stmt& stmt, ReadRow read_row) -> Result<std::vector<decltype(read_row(stmt))>> {
  std::vector<decltype(read_row(stmt))> rows;
  while (true) {
    Result<bool> row = stmt.Step();
    if (!row) return row.error();
    if (!*row) return rows;
    rows.push_back(read_row(stmt));
  }
}

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless Commit()
// succeeded. Construct with Begin to learn whether BEGIN worked.
class Transaction {
 public:
  static Result<std::unique_ptr<Transaction>> Begin(Db& db);
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Db& db) : db_(db) {}
  Db& db_;
  bool done_ = false;
};

}  // namespace holdfast::storage
