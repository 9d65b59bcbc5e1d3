#include "storage/sqlite_handle.h"

#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

namespace holdfast::storage {

Status SqliteStatus(sqlite3* db, int rc, std::string_view context) {
  ErrorCode code = ErrorCode::kInternal;
  switch (rc & 0xff) {
    case SQLITE_FULL: code = ErrorCode::kNoSpace; break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: code = ErrorCode::kCorruptVault; break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: code = ErrorCode::kVaultLocked; break;
    case SQLITE_CANTOPEN: code = ErrorCode::kNotFound; break;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH: code = ErrorCode::kPermission; break;
    case SQLITE_IOERR: code = ErrorCode::kIoError; break;
    default: break;
  }
  std::string cause = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  // A full disk often surfaces as an I/O error (growing the -shm file,
  // writing the WAL) rather than SQLITE_FULL: the OS's errno tells.
  const int os_error = db != nullptr ? sqlite3_system_errno(db) : 0;
  if (code == ErrorCode::kIoError && (os_error == ENOSPC || os_error == EDQUOT)) {
    code = ErrorCode::kNoSpace;
    cause += std::string(" (") + std::strerror(os_error) + ")";
  }
  if (code == ErrorCode::kCorruptVault) cause += " (the vault file is damaged: run holdfast verify)";
  // Which disk is full or failing: the one holding this database file.
  const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  if ((code == ErrorCode::kNoSpace || code == ErrorCode::kIoError) && file != nullptr && file[0] != '\0' &&
      context.find(file) == std::string_view::npos) {
    cause += std::string(" (writing ") + file + ")";
  }
  return Status(code, std::string(context) + ": " + cause);
}

Stmt::Stmt(Stmt&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), owned_(other.owned_), bind_rc_(other.bind_rc_) {}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    if (owned_ && stmt_ != nullptr) sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    owned_ = other.owned_;
    bind_rc_ = other.bind_rc_;
  }
  return *this;
}

Stmt::~Stmt() {
  if (stmt_ == nullptr) return;
  if (owned_) {
    sqlite3_finalize(stmt_);
  } else {
    // A cached statement goes back to the cache clean: no open read
    // transaction held by a half-stepped query, no bytes pinned by binds.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Stmt& Stmt::Bind(int index, int64_t value) {
  Check(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Stmt& Stmt::Bind(int index, std::string_view text) {
  Check(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Stmt& Stmt::BindBlob(int index, const void* data, size_t size_bytes) {
  // A zero-length blob must still bind as a blob, not as NULL.
  static const char kEmpty = 0;
  Check(sqlite3_bind_blob64(stmt_, index, size_bytes == 0 ? &kEmpty : data, size_bytes, SQLITE_TRANSIENT));
  return *this;
}

Stmt& Stmt::BindBlobStatic(int index, const void* data, size_t size_bytes) {
  static const char kEmpty = 0;
  Check(sqlite3_bind_blob64(stmt_, index, size_bytes == 0 ? &kEmpty : data, size_bytes, SQLITE_STATIC));
  return *this;
}

Stmt& Stmt::BindNull(int index) {
  Check(sqlite3_bind_null(stmt_, index));
  return *this;
}

Result<bool> Stmt::Step() {
  if (bind_rc_ != SQLITE_OK) {
    const char* sql = sqlite3_sql(stmt_);
    const int rc = std::exchange(bind_rc_, SQLITE_OK);
    return Status(ErrorCode::kInternal, std::string("binding a parameter of SQL '") +
                                            (sql ? std::string(sql).substr(0, 60) : "") + "' failed: " +
                                            sqlite3_errstr(rc));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(stmt_);
  const char* sql = sqlite3_sql(stmt_);
  std::string context = std::string("SQL '") + (sql ? std::string(sql).substr(0, 60) : "") + "'";
  return SqliteStatus(db, rc, context);
}

Status Stmt::Run() {
  while (true) {
    Result<bool> row = Step();
    if (!row) return row.error();
    if (!*row) return Status::Ok();
  }
}

std::string Stmt::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string_view Stmt::Blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  if (data == nullptr) return {};
  return std::string_view(static_cast<const char*>(data),
                          static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

void Stmt::Reset() {
  bind_rc_ = SQLITE_OK;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& uri, int flags) {
  // No memory statistics: they take a global mutex on every allocation. Must
  // precede SQLite's initialisation; later calls are refused harmlessly.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* raw = nullptr;
  // NOMUTEX: each connection is used by one thread only (see the header), so
  // SQLite need not lock it on every call.
  int rc = sqlite3_open_v2(uri.c_str(), &raw,
                           flags | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Status status = SqliteStatus(raw, rc, "open " + uri);
    sqlite3_close_v2(raw);
    return status;
  }
  return std::unique_ptr<Db>(new Db(raw));
}

Db::~Db() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

Status Db::Exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return SqliteStatus(db_, rc, "SQL '" + text.substr(0, 60) + "'");
  return Status::Ok();
}

Result<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(db_, rc, "prepare '" + std::string(sql.substr(0, 60)) + "'");
  }
  return Stmt(stmt, /*owned=*/true);
}

Result<Stmt> Db::Cached(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      return SqliteStatus(db_, rc, "prepare '" + std::string(sql).substr(0, 60) + "'");
    }
    it = cache_.emplace(sql, stmt).first;
  }
  return Stmt(it->second.get(), /*owned=*/false);
}

void Db::SetBusyTimeout(int timeout_ms) { sqlite3_busy_timeout(db_, timeout_ms); }

Result<int64_t> Db::QueryInt(std::string_view sql) {
  Result<Stmt> stmt = Prepare(sql);
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->Step();
  if (!row) return row.error();
  if (!*row) return Status(ErrorCode::kInternal, "query returned no row: " + std::string(sql));
  return stmt->Int(0);
}

Result<std::unique_ptr<Transaction>> Transaction::Begin(Db& db) {
  HF_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  return std::unique_ptr<Transaction>(new Transaction(db));
}

Transaction::~Transaction() {
  if (!done_) (void)db_.Exec("ROLLBACK");
}

Status Transaction::Commit() {
  Status status = db_.Exec("COMMIT");
  // A failed COMMIT leaves the transaction open; the destructor rolls it back.
  if (status.ok()) done_ = true;
  return status;
}

}  // namespace holdfast::storage
