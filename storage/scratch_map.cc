#include "storage/scratch_map.h"

#include "storage/sqlite_handle.h"

namespace holdfast::storage {

ScratchMap::ScratchMap(std::unique_ptr<Db> db) : db_(std::move(db)) {}

ScratchMap::~ScratchMap() = default;

Result<std::unique_ptr<ScratchMap>> ScratchMap::Open() {
  // An empty file name: SQLite's private temporary database on disk. No
  // journal and no sync: nothing here outlives the process. One transaction
  // stays open for the map's life, so that a write costs no commit.
  Result<std::unique_ptr<Db>> db = Db::Open("", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) return db.error().WithContext("scratch map");
  HF_RETURN_IF_ERROR((*db)
                         ->Exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -1024; "
                                "PRAGMA temp_store = FILE; "
                                "CREATE TABLE entries(key BLOB PRIMARY KEY, value BLOB NOT NULL, marked INTEGER "
                                "NOT NULL DEFAULT 0) WITHOUT ROWID; BEGIN")
                         .WithContext("scratch map"));
  return std::unique_ptr<ScratchMap>(new ScratchMap(std::move(*db)));
}

Status ScratchMap::Clear() { return db_->Exec("DELETE FROM entries").WithContext("scratch map"); }

Status ScratchMap::Put(std::string_view key, std::string_view value) {
  Result<Stmt> stmt = db_->Cached("INSERT OR REPLACE INTO entries(key, value, marked) VALUES(?1, ?2, 0)");
  if (!stmt) return stmt.error();
  stmt->Reset();
  return stmt->BindBlob(1, key.data(), key.size()).BindBlob(2, value.data(), value.size()).Run();
}

Result<std::optional<std::string>> ScratchMap::Take(std::string_view key) {
  Result<Stmt> get = db_->Cached("SELECT value FROM entries WHERE key = ?1");
  if (!get) return get.error();
  get->Reset();
  Result<bool> row = get->BindBlob(1, key.data(), key.size()).Step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>();
  std::string value(get->Blob(0));
  get->Reset();
  Result<Stmt> del = db_->Cached("DELETE FROM entries WHERE key = ?1");
  if (!del) return del.error();
  del->Reset();
  HF_RETURN_IF_ERROR(del->BindBlob(1, key.data(), key.size()).Run());
  return std::optional<std::string>(std::move(value));
}

Status ScratchMap::Mark(std::string_view key) {
  Result<Stmt> stmt = db_->Cached("UPDATE entries SET marked = 1 WHERE key = ?1");
  if (!stmt) return stmt.error();
  stmt->Reset();
  return stmt->BindBlob(1, key.data(), key.size()).Run();
}

Status ScratchMap::ForEach(
    const std::function<Status(std::string_view key, std::string_view value, bool marked)>& visit) {
  Result<Stmt> stmt = db_->Prepare("SELECT key, value, marked FROM entries ORDER BY key");
  if (!stmt) return stmt.error();
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) return row.error().WithContext("scratch map");
    if (!*row) return Status::Ok();
    HF_RETURN_IF_ERROR(visit(stmt->Blob(0), stmt->Blob(1), stmt->Int(2) != 0));
  }
}

}  // namespace holdfast::storage
