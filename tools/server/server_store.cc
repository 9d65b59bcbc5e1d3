#include "tools/server/server_store.h"

#include <openssl/crypto.h>

#include "platform/files.h"
#include "storage/sqlite_handle.h"

namespace holdfast::server {
namespace {

using storage::Db;
using storage::Stmt;
using storage::Transaction;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS accounts(
  name TEXT PRIMARY KEY,
  token_sha256 TEXT NOT NULL UNIQUE,
  epoch TEXT NOT NULL,
  reupload_id TEXT,
  reupload_requested_ms INTEGER,
  reupload_not_before_ms INTEGER,
  reupload_spread_ms INTEGER
);
CREATE TABLE IF NOT EXISTS collections(
  account TEXT NOT NULL,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY(account, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS items(
  account TEXT NOT NULL,
  collection TEXT NOT NULL,
  uid TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  content BLOB,
  blob_sha256 TEXT,
  PRIMARY KEY(account, collection, uid)
);
CREATE TABLE IF NOT EXISTS blobs(
  account TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  received INTEGER NOT NULL,
  complete INTEGER NOT NULL,
  PRIMARY KEY(account, sha256)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blob_chunks(
  account TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  offset INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY(account, sha256, offset)
);
)sql";

// Schema version 1 (PRAGMA user_version): each account's usage in a row,
// kept by triggers inside the transaction of every write to items and blobs
// (whoever writes: a batch, a chunk, a delete, an operator's wipe), so the
// quota check before a batch reads one row instead of summing the account.
// The row is what UsageAfter used to sum: inline content bytes and items,
// plus the blob bytes received. Writes use UPSERT, never INSERT OR REPLACE:
// a REPLACE deletes without firing the delete triggers (recursive_triggers
// is off), which would count the replaced row twice.
constexpr int kSchemaVersion = 1;
constexpr const char* kUsageSchema = R"sql(
CREATE TABLE account_usage(
  account TEXT PRIMARY KEY,
  bytes INTEGER NOT NULL,
  items INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER items_usage_insert AFTER INSERT ON items BEGIN
  INSERT INTO account_usage(account, bytes, items) VALUES(new.account, COALESCE(length(new.content), 0), 1)
    ON CONFLICT(account) DO UPDATE SET bytes = bytes + excluded.bytes, items = items + 1;
END;
CREATE TRIGGER items_usage_delete AFTER DELETE ON items BEGIN
  UPDATE account_usage SET bytes = bytes - COALESCE(length(old.content), 0), items = items - 1
    WHERE account = old.account;
END;
CREATE TRIGGER items_usage_update AFTER UPDATE OF account, content ON items BEGIN
  UPDATE account_usage SET bytes = bytes - COALESCE(length(old.content), 0), items = items - 1
    WHERE account = old.account;
  INSERT INTO account_usage(account, bytes, items) VALUES(new.account, COALESCE(length(new.content), 0), 1)
    ON CONFLICT(account) DO UPDATE SET bytes = bytes + excluded.bytes, items = items + 1;
END;
CREATE TRIGGER blobs_usage_insert AFTER INSERT ON blobs BEGIN
  INSERT INTO account_usage(account, bytes, items) VALUES(new.account, new.received, 0)
    ON CONFLICT(account) DO UPDATE SET bytes = bytes + excluded.bytes;
END;
CREATE TRIGGER blobs_usage_delete AFTER DELETE ON blobs BEGIN
  UPDATE account_usage SET bytes = bytes - old.received WHERE account = old.account;
END;
CREATE TRIGGER blobs_usage_update AFTER UPDATE OF account, received ON blobs BEGIN
  UPDATE account_usage SET bytes = bytes - old.received WHERE account = old.account;
  INSERT INTO account_usage(account, bytes, items) VALUES(new.account, new.received, 0)
    ON CONFLICT(account) DO UPDATE SET bytes = bytes + excluded.bytes;
END;
INSERT INTO account_usage(account, bytes, items)
  SELECT account, SUM(bytes), SUM(items) FROM (
    SELECT account, COALESCE(SUM(length(content)), 0) AS bytes, COUNT(*) AS items FROM items GROUP BY account
    UNION ALL
    SELECT account, COALESCE(SUM(received), 0), 0 FROM blobs GROUP BY account)
  GROUP BY account;
)sql";

// Each account's usage summed from its items and blobs, the long way (what
// the account_usage row must equal).
constexpr const char* kRealUsage = R"sql(
SELECT account, SUM(bytes), SUM(items) FROM (
  SELECT account, COALESCE(SUM(length(content)), 0) AS bytes, COUNT(*) AS items FROM items GROUP BY account
  UNION ALL
  SELECT account, COALESCE(SUM(received), 0), 0 FROM blobs GROUP BY account)
GROUP BY account ORDER BY account
)sql";

// Brings a database of an older version to kSchemaVersion, in one
// transaction (a crash leaves the old version, migrated again at the next
// open). Refuses a newer version than this server knows.
Status Migrate(Db& db) {
  Result<std::unique_ptr<Transaction>> txn = Transaction::Begin(db);
  if (!txn) return txn.error();
  Result<int64_t> version = db.QueryInt("PRAGMA user_version");
  if (!version) return version.error();
  if (*version > kSchemaVersion) {
    return Status(ErrorCode::kInvalidArgument, "server.db has schema version " + std::to_string(*version) +
                                                   ", newer than this server's " + std::to_string(kSchemaVersion) +
                                                   ": run the newer holdfast-server");
  }
  if (*version == kSchemaVersion) return Status::Ok();
  HF_RETURN_IF_ERROR(db.Exec(kUsageSchema));
  HF_RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + std::to_string(kSchemaVersion)));
  return (*txn)->Commit();
}

}  // namespace

ServerStore::ServerStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}
ServerStore::~ServerStore() = default;

Result<std::unique_ptr<ServerStore>> ServerStore::Open(const std::filesystem::path& data_dir) {
  HF_RETURN_IF_ERROR(platform::EnsurePrivateDir(data_dir));
  const std::string uri = "file:" + (data_dir / "server.db").string();
  Result<std::unique_ptr<Db>> db = Db::Open(uri, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX);
  if (!db) return db.error();
  (*db)->SetBusyTimeout(10000);
  // A 64 MiB page cache (SQLite's default is 2 MiB): the B-tree pages a
  // batch walks stay in the process instead of being read again per batch.
  HF_RETURN_IF_ERROR((*db)->Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536;"));
  HF_RETURN_IF_ERROR((*db)->Exec(kSchema));
  if (Status migrated = Migrate(**db); !migrated.ok()) {
    return Status(migrated.code(), "migrating " + (data_dir / "server.db").string() + ": " + migrated.message());
  }
  return std::unique_ptr<ServerStore>(new ServerStore(std::move(*db)));
}

Result<std::string> ServerStore::AddAccount(const std::string& account) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string token = platform::RandomHex(32);
  if (token.empty()) return Status(ErrorCode::kInternal, "no random bytes for a token");
  Result<Stmt> stmt = db_->Prepare("INSERT INTO accounts(name, token_sha256, epoch) VALUES(?1, ?2, ?3)");
  if (!stmt) return stmt.error();
  Status status = stmt->Bind(1, account).Bind(2, platform::ToHex(platform::Sha256Of(token)))
                      .Bind(3, platform::RandomHex(16)).Run();
  if (!status.ok()) {
    return Status(ErrorCode::kAlreadyExists, "account '" + account + "' exists already (or: " + status.message() + ")");
  }
  return token;
}

Result<std::string> ServerStore::AccountForToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(mutex_);
  Result<Stmt> stmt = db_->Cached("SELECT name FROM accounts WHERE token_sha256 = ?1");
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->Bind(1, platform::ToHex(platform::Sha256Of(token))).Step();
  if (!row) return row.error();
  if (!*row) return Status(ErrorCode::kNotFound, "unknown token");
  return stmt->Text(0);
}

Result<bool> ServerStore::TokenMatches(const std::string& account, const std::string& token) {
  std::lock_guard<std::mutex> lock(mutex_);
  Result<Stmt> stmt = db_->Cached("SELECT token_sha256 FROM accounts WHERE name = ?1");
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->Bind(1, account).Step();
  if (!row) return row.error();
  if (!*row) return false;
  const std::string stored = stmt->Text(0);
  const std::string offered = platform::ToHex(platform::Sha256Of(token));
  return stored.size() == offered.size() && CRYPTO_memcmp(stored.data(), offered.data(), offered.size()) == 0;
}

Result<std::vector<std::string>> ServerStore::ListAccounts() {
  std::lock_guard<std::mutex> lock(mutex_);
  Result<Stmt> stmt = db_->Prepare("SELECT name FROM accounts ORDER BY name");
  if (!stmt) return stmt.error();
  return storage::CollectRows(*stmt, [](Stmt& s) { return s.Text(0); });
}

Status ServerStore::NewEpoch(const std::string& account) {
  Result<Stmt> stmt = db_->Prepare("UPDATE accounts SET epoch = ?2, reupload_id = NULL WHERE name = ?1");
  if (!stmt) return stmt.error();
  return stmt->Bind(1, account).Bind(2, platform::RandomHex(16)).Run();
}

Status ServerStore::Wipe(const std::string& account) {
  std::lock_guard<std::mutex> lock(mutex_);
  Result<std::unique_ptr<Transaction>> txn = Transaction::Begin(*db_);
  if (!txn) return txn.error();
  std::vector<std::string> accounts;
  {
    Result<Stmt> list = db_->Prepare("SELECT name FROM accounts WHERE ?1 = '' OR name = ?1");
    if (!list) return list.error();
    list->Bind(1, account);
    Result<std::vector<std::string>> names = storage::CollectRows(*list, [](Stmt& s) { return s.Text(0); });
    if (!names) return names.error();
    accounts = *names;
  }
  if (accounts.empty()) return Status(ErrorCode::kNotFound, "no account '" + account + "'");
  for (const std::string& name : accounts) {
    for (const char* table : {"collections", "items", "blobs", "blob_chunks"}) {
      Result<Stmt> del = db_->Prepare(std::string("DELETE FROM ") + table + " WHERE account = ?1");
      if (!del) return del.error();
      HF_RETURN_IF_ERROR(del->Bind(1, name).Run());
    }
    HF_RETURN_IF_ERROR(NewEpoch(name));
  }
  running_hashes_.clear();
  return (*txn)->Commit();
}

Result<int64_t> ServerStore::RequestReupload(const std::string& account, int64_t now_ms, int64_t not_before_ms,
                                             int64_t spread_ms) {
  if (not_before_ms < now_ms || spread_ms < 0) {
    return Status(ErrorCode::kInvalidArgument, "re-upload request: not_before_ms " + std::to_string(not_before_ms) +
                                                   " before the request (" + std::to_string(now_ms) +
                                                   ") or a negative spread_ms " + std::to_string(spread_ms));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  Result<Stmt> stmt = db_->Prepare(
      "UPDATE accounts SET reupload_id = ?2, reupload_requested_ms = ?3, reupload_not_before_ms = ?4, "
      "reupload_spread_ms = ?5 WHERE ?1 = '' OR name = ?1");
  if (!stmt) return stmt.error();
  HF_RETURN_IF_ERROR(stmt->Bind(1, account).Bind(2, "r-" + platform::RandomHex(8)).Bind(3, now_ms)
                         .Bind(4, not_before_ms).Bind(5, spread_ms).Run());
  Result<int64_t> changed = db_->QueryInt("SELECT changes()");
  if (!changed) return changed.error();
  if (*changed == 0) return Status(ErrorCode::kNotFound, "no account '" + account + "'");
  return *changed;
}

Result<std::string> ServerStore::Digest(const std::string& account, const std::string& collection, int64_t* count) {
  Result<Stmt> stmt = db_->Cached("SELECT uid, sha256 FROM items WHERE account = ?1 AND collection = ?2 ORDER BY uid");
  if (!stmt) return stmt.error();
  stmt->Bind(1, account).Bind(2, collection);
  platform::Sha256 hasher;
  *count = 0;
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) return row.error();
    if (!*row) break;
    hasher.Update(stmt->Text(0));
    hasher.Update(std::string_view("\0", 1));
    hasher.Update(stmt->Text(1));
    hasher.Update("\n");
    ++*count;
  }
  return platform::ToHex(hasher.Finish());
}

Result<AccountState> ServerStore::State(const std::string& account) {
  std::lock_guard<std::mutex> lock(mutex_);
  AccountState state;
  {
    Result<Stmt> stmt = db_->Cached(
        "SELECT epoch, reupload_id, reupload_requested_ms, reupload_not_before_ms, reupload_spread_ms "
        "FROM accounts WHERE name = ?1");
    if (!stmt) return stmt.error();
    Result<bool> row = stmt->Bind(1, account).Step();
    if (!row) return row.error();
    if (!*row) return Status(ErrorCode::kNotFound, "no account '" + account + "'");
    state.epoch = stmt->Text(0);
    if (!stmt->IsNull(1)) state.reupload = Reupload{stmt->Text(1), stmt->Int(2), stmt->Int(3), stmt->Int(4)};
  }
  Result<Stmt> list = db_->Prepare("SELECT id, kind, name FROM collections WHERE account = ?1 ORDER BY id");
  if (!list) return list.error();
  list->Bind(1, account);
  Result<std::vector<CollectionState>> collections =
      storage::CollectRows(*list, [](Stmt& s) { return CollectionState{s.Text(0), s.Text(1), s.Text(2), 0, ""}; });
  if (!collections) return collections.error();
  for (CollectionState& c : *collections) {
    Result<std::string> digest = Digest(account, c.id, &c.items);
    if (!digest) return digest.error();
    c.digest = *digest;
  }
  state.collections = std::move(*collections);
  return state;
}

Result<CollectionState> ServerStore::PutCollection(const std::string& account, const std::string& id,
                                                   const std::string& kind, const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  {
    Result<Stmt> existing = db_->Cached("SELECT kind FROM collections WHERE account = ?1 AND id = ?2");
    if (!existing) return existing.error();
    Result<bool> row = existing->Bind(1, account).Bind(2, id).Step();
    if (!row) return row.error();
    if (*row && existing->Text(0) != kind) {
      return Status(ErrorCode::kAlreadyExists, "collection '" + id + "' holds " + existing->Text(0) +
                                                   " items; its kind cannot change to " + kind);
    }
  }
  Result<Stmt> stmt = db_->Cached(
      "INSERT INTO collections(account, id, kind, name) VALUES(?1, ?2, ?3, ?4) "
      "ON CONFLICT(account, id) DO UPDATE SET name = excluded.name");
  if (!stmt) return stmt.error();
  HF_RETURN_IF_ERROR(stmt->Bind(1, account).Bind(2, id).Bind(3, kind).Bind(4, name).Run());
  CollectionState state{id, kind, name, 0, ""};
  Result<std::string> digest = Digest(account, id, &state.items);
  if (!digest) return digest.error();
  state.digest = *digest;
  return state;
}

Status ServerStore::CheckCollection(const std::string& account, const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Result<Stmt> stmt = db_->Cached("SELECT 1 FROM collections WHERE account = ?1 AND id = ?2");
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->Bind(1, account).Bind(2, id).Step();
  if (!row) return row.error();
  if (!*row) return Status(ErrorCode::kNotFound, "no collection '" + id + "'");
  return Status::Ok();
}

Result<PutResult> ServerStore::PutLocked(const std::string& account, const std::string& collection,
                                         const BatchPut& put) {
  if (put.blob) {
    Result<Stmt> blob = db_->Cached("SELECT 1 FROM blobs WHERE account = ?1 AND sha256 = ?2 AND complete = 1");
    if (!blob) return blob.error();
    Result<bool> complete = blob->Bind(1, account).Bind(2, put.sha256_hex).Step();
    if (!complete) return complete.error();
    if (!*complete) return PutResult::kMissingBlob;
  }
  if (!put.keep) return PutResult::kStored;
  Result<Stmt> same = db_->Cached("SELECT 1 FROM items WHERE account = ?1 AND collection = ?2 AND uid = ?3 AND sha256 = ?4");
  if (!same) return same.error();
  Result<bool> row = same->Bind(1, account).Bind(2, collection).Bind(3, put.uid).Bind(4, put.sha256_hex).Step();
  if (!row) return row.error();
  if (*row) return PutResult::kUnchanged;
  Result<Stmt> write = db_->Cached(
      "INSERT INTO items(account, collection, uid, sha256, content, blob_sha256) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT(account, collection, uid) DO UPDATE SET sha256 = excluded.sha256, content = excluded.content, "
      "blob_sha256 = excluded.blob_sha256");
  if (!write) return write.error();
  write->Bind(1, account).Bind(2, collection).Bind(3, put.uid).Bind(4, put.sha256_hex);
  if (put.blob) {
    write->BindNull(5).Bind(6, put.sha256_hex);
  } else {
    write->BindBlob(5, put.content.data(), put.content.size()).BindNull(6);
  }
  HF_RETURN_IF_ERROR(write->Run());
  return PutResult::kStored;
}

Result<std::vector<PutResult>> ServerStore::ApplyBatch(const std::string& account, const std::string& collection,
                                                       const std::vector<BatchPut>& puts,
                                                       const std::vector<std::string>& deletes) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Every write of the batch under one BEGIN IMMEDIATE .. COMMIT: one WAL
  // sync for the batch instead of one per entry. An error returns before
  // Commit, and the Transaction's destructor rolls everything back.
  Result<std::unique_ptr<Transaction>> txn = Transaction::Begin(*db_);
  if (!txn) return txn.error();
  std::vector<PutResult> results;
  results.reserve(puts.size());
  for (const BatchPut& put : puts) {
    Result<PutResult> result = PutLocked(account, collection, put);
    if (!result) return Status(result.error().code(), "put '" + put.uid + "': " + result.error().message());
    results.push_back(*result);
  }
  for (const std::string& uid : deletes) {
    Result<Stmt> del = db_->Cached("DELETE FROM items WHERE account = ?1 AND collection = ?2 AND uid = ?3");
    if (!del) return del.error();
    HF_RETURN_IF_ERROR(del->Bind(1, account).Bind(2, collection).Bind(3, uid).Run());
  }
  HF_RETURN_IF_ERROR((*txn)->Commit());
  return results;
}

Status ServerStore::DeleteItem(const std::string& account, const std::string& collection, const std::string& uid) {
  std::lock_guard<std::mutex> lock(mutex_);
  Result<Stmt> del = db_->Cached("DELETE FROM items WHERE account = ?1 AND collection = ?2 AND uid = ?3");
  if (!del) return del.error();
  return del->Bind(1, account).Bind(2, collection).Bind(3, uid).Run();
}

Result<std::vector<InventoryEntry>> ServerStore::Inventory(const std::string& account, const std::string& collection,
                                                           const std::string& after, int limit) {
  std::lock_guard<std::mutex> lock(mutex_);
  Result<Stmt> stmt = db_->Cached(
      "SELECT uid, sha256 FROM items WHERE account = ?1 AND collection = ?2 AND uid > ?3 ORDER BY uid LIMIT ?4");
  if (!stmt) return stmt.error();
  stmt->Bind(1, account).Bind(2, collection).Bind(3, after).Bind(4, limit);
  return storage::CollectRows(*stmt, [](Stmt& s) { return InventoryEntry{s.Text(0), s.Text(1)}; });
}

Result<std::string> ServerStore::ItemContent(const std::string& account, const std::string& collection,
                                             const std::string& uid, std::string* sha256_hex) {
  std::lock_guard<std::mutex> lock(mutex_);
  Result<Stmt> stmt = db_->Prepare(
      "SELECT sha256, content, blob_sha256 FROM items WHERE account = ?1 AND collection = ?2 AND uid = ?3");
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->Bind(1, account).Bind(2, collection).Bind(3, uid).Step();
  if (!row) return row.error();
  if (!*row) return Status(ErrorCode::kNotFound, "no item '" + uid + "'");
  *sha256_hex = stmt->Text(0);
  if (stmt->IsNull(2)) return std::string(stmt->Blob(1));
  std::string content;
  HF_RETURN_IF_ERROR(ForEachChunk(account, stmt->Text(2), [&](std::string_view data) { content.append(data); }));
  return content;
}

Result<AccountUsage> ServerStore::UsageAfter(const std::string& account, const std::string& collection,
                                             const std::vector<std::pair<std::string, uint64_t>>& puts) {
  std::lock_guard<std::mutex> lock(mutex_);
  AccountUsage usage;
  {
    Result<Stmt> total = db_->Cached("SELECT bytes, items FROM account_usage WHERE account = ?1");
    if (!total) return total.error();
    Result<bool> row = total->Bind(1, account).Step();
    if (!row) return row.error();
    if (*row) usage = AccountUsage{static_cast<uint64_t>(total->Int(0)), static_cast<uint64_t>(total->Int(1))};
    total->Reset();
  }
  Result<Stmt> item = db_->Cached(
      "SELECT COALESCE(length(content), 0) FROM items WHERE account = ?1 AND collection = ?2 AND uid = ?3");
  if (!item) return item.error();
  for (const auto& [uid, bytes] : puts) {
    Result<bool> found = item->Bind(1, account).Bind(2, collection).Bind(3, uid).Step();
    if (!found) return found.error();
    if (*found) {
      usage.bytes -= std::min(usage.bytes, static_cast<uint64_t>(item->Int(0)));
    } else {
      ++usage.items;
    }
    usage.bytes += bytes;
    item->Reset();
  }
  return usage;
}

Result<std::optional<BlobState>> ServerStore::Blob(const std::string& account, const std::string& sha256_hex) {
  std::lock_guard<std::mutex> lock(mutex_);
  Result<Stmt> stmt = db_->Cached("SELECT size, received, complete FROM blobs WHERE account = ?1 AND sha256 = ?2");
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->Bind(1, account).Bind(2, sha256_hex).Step();
  if (!row) return row.error();
  if (!*row) return std::optional<BlobState>();
  return std::optional<BlobState>(BlobState{static_cast<uint64_t>(stmt->Int(0)),
                                            static_cast<uint64_t>(stmt->Int(1)), stmt->Int(2) != 0});
}

Status ServerStore::ForEachChunk(const std::string& account, const std::string& sha256_hex,
                                 const std::function<void(std::string_view)>& visit) {
  Result<Stmt> chunks = db_->Prepare("SELECT data FROM blob_chunks WHERE account = ?1 AND sha256 = ?2 ORDER BY offset");
  if (!chunks) return chunks.error();
  chunks->Bind(1, account).Bind(2, sha256_hex);
  while (true) {
    Result<bool> next = chunks->Step();
    if (!next) return next.error();
    if (!*next) return Status::Ok();
    visit(chunks->Blob(0));
  }
}

Result<BlobState> ServerStore::PutBlobChunk(const std::string& account, const std::string& sha256_hex,
                                            uint64_t offset, uint64_t size_bytes, std::string_view bytes,
                                            uint64_t* held) {
  std::lock_guard<std::mutex> lock(mutex_);
  Result<std::unique_ptr<Transaction>> txn = Transaction::Begin(*db_);
  if (!txn) return txn.error();
  BlobState state{size_bytes, 0, false};
  {
    Result<Stmt> stmt = db_->Cached("SELECT size, received, complete FROM blobs WHERE account = ?1 AND sha256 = ?2");
    if (!stmt) return stmt.error();
    Result<bool> row = stmt->Bind(1, account).Bind(2, sha256_hex).Step();
    if (!row) return row.error();
    if (*row) {
      state = BlobState{static_cast<uint64_t>(stmt->Int(0)), static_cast<uint64_t>(stmt->Int(1)), stmt->Int(2) != 0};
    }
  }
  if (state.complete) return state;  // a chunk of a complete blob: nothing to do
  if (state.size_bytes != size_bytes && state.received_bytes > 0) {
    return Status(ErrorCode::kInvalidArgument, "size " + std::to_string(size_bytes) + " differs from the " +
                                                   std::to_string(state.size_bytes) + " declared before");
  }
  if (offset != state.received_bytes) {
    *held = state.received_bytes;
    return Status(ErrorCode::kAlreadyExists, "offset " + std::to_string(offset) + " but the server holds " +
                                                 std::to_string(state.received_bytes) + " bytes");
  }
  if (offset + bytes.size() > size_bytes) {
    return Status(ErrorCode::kInvalidArgument, "chunk goes past the declared size");
  }
  if (!bytes.empty()) {
    Result<Stmt> chunk = db_->Cached("INSERT INTO blob_chunks(account, sha256, offset, data) VALUES(?1, ?2, ?3, ?4)");
    if (!chunk) return chunk.error();
    HF_RETURN_IF_ERROR(chunk->Bind(1, account).Bind(2, sha256_hex).Bind(3, static_cast<int64_t>(offset))
                           .BindBlob(4, bytes.data(), bytes.size()).Run());
  }
  state.size_bytes = size_bytes;
  state.received_bytes = offset + bytes.size();
  // The running hash is taken out of the map and put back only once this
  // chunk is committed: an error on the way leaves no hash of bytes the
  // store does not hold.
  std::optional<RunningHash> running;
  const auto key = std::make_pair(account, sha256_hex);
  if (auto it = running_hashes_.find(key); it != running_hashes_.end()) {
    if (it->second.hashed_bytes == offset) running = std::move(it->second);
    running_hashes_.erase(it);
  }
  if (!running && offset == 0) running.emplace();
  if (running) {
    running->hasher.Update(bytes);
    running->hashed_bytes += bytes.size();
  }
  if (state.received_bytes == size_bytes) {
    std::string digest;
    if (running) {
      digest = platform::ToHex(running->hasher.Finish());
      running.reset();
    } else {
      platform::Sha256 hasher;
      HF_RETURN_IF_ERROR(ForEachChunk(account, sha256_hex, [&](std::string_view data) { hasher.Update(data); }));
      digest = platform::ToHex(hasher.Finish());
    }
    if (digest != sha256_hex) {
      Result<Stmt> drop = db_->Prepare("DELETE FROM blob_chunks WHERE account = ?1 AND sha256 = ?2");
      if (!drop) return drop.error();
      HF_RETURN_IF_ERROR(drop->Bind(1, account).Bind(2, sha256_hex).Run());
      Result<Stmt> drop_blob = db_->Prepare("DELETE FROM blobs WHERE account = ?1 AND sha256 = ?2");
      if (!drop_blob) return drop_blob.error();
      HF_RETURN_IF_ERROR(drop_blob->Bind(1, account).Bind(2, sha256_hex).Run());
      HF_RETURN_IF_ERROR((*txn)->Commit());
      return Status(ErrorCode::kDamageFound, "the blob's bytes do not hash to " + sha256_hex + "; discarded");
    }
    state.complete = true;
  }
  Result<Stmt> up = db_->Cached(
      "INSERT INTO blobs(account, sha256, size, received, complete) VALUES(?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(account, sha256) DO UPDATE SET size = excluded.size, received = excluded.received, "
      "complete = excluded.complete");
  if (!up) return up.error();
  HF_RETURN_IF_ERROR(up->Bind(1, account).Bind(2, sha256_hex).Bind(3, static_cast<int64_t>(state.size_bytes))
                         .Bind(4, static_cast<int64_t>(state.received_bytes)).Bind(5, state.complete ? 1 : 0).Run());
  HF_RETURN_IF_ERROR((*txn)->Commit());
  if (running && running_hashes_.size() < kMaxRunningHashes) running_hashes_.emplace(key, std::move(*running));
  return state;
}

Result<std::vector<std::string>> ServerStore::Verify() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> problems;
  {
    Result<Stmt> check = db_->Prepare("PRAGMA integrity_check");
    if (!check) return check.error();
    Result<std::vector<std::string>> lines = storage::CollectRows(*check, [](Stmt& s) { return s.Text(0); });
    if (!lines) return lines.error();
    if (*lines != std::vector<std::string>{"ok"}) {
      for (const std::string& line : *lines) problems.push_back("integrity_check: " + line);
    }
  }
  {
    // Accounts in either list; a missing usage row is (0, 0).
    std::map<std::string, std::pair<int64_t, int64_t>> kept, real;
    Result<Stmt> rows = db_->Prepare("SELECT account, bytes, items FROM account_usage");
    if (!rows) return rows.error();
    Result<std::vector<int>> read = storage::CollectRows(*rows, [&](Stmt& s) {
      kept[s.Text(0)] = {s.Int(1), s.Int(2)};
      return 0;
    });
    if (!read) return read.error();
    Result<Stmt> sums = db_->Prepare(kRealUsage);
    if (!sums) return sums.error();
    read = storage::CollectRows(*sums, [&](Stmt& s) {
      real[s.Text(0)] = {s.Int(1), s.Int(2)};
      return 0;
    });
    if (!read) return read.error();
    for (const auto& [account, usage] : real) kept.try_emplace(account, 0, 0);
    for (const auto& [account, usage] : kept) {
      const auto summed = real.count(account) ? real[account] : std::pair<int64_t, int64_t>{0, 0};
      if (usage != summed) {
        problems.push_back("account '" + account + "': usage row says " + std::to_string(usage.first) + " bytes, " +
                           std::to_string(usage.second) + " items; its items and blobs hold " +
                           std::to_string(summed.first) + " bytes, " + std::to_string(summed.second) + " items");
      }
    }
  }
  // Blobs: chunks contiguous from 0, adding up to received; complete ones whole and of their hash.
  std::map<std::pair<std::string, std::string>, bool> complete_blobs;  // (account, sha) -> complete
  {
    Result<Stmt> blobs = db_->Prepare("SELECT account, sha256, size, received, complete FROM blobs");
    if (!blobs) return blobs.error();
    struct Row {
      std::string account, sha;
      int64_t size, received;
      bool complete;
    };
    Result<std::vector<Row>> list = storage::CollectRows(
        *blobs, [](Stmt& s) { return Row{s.Text(0), s.Text(1), s.Int(2), s.Int(3), s.Int(4) != 0}; });
    if (!list) return list.error();
    for (const Row& blob : *list) {
      complete_blobs[{blob.account, blob.sha}] = blob.complete;
      Result<Stmt> chunks =
          db_->Prepare("SELECT offset, data FROM blob_chunks WHERE account = ?1 AND sha256 = ?2 ORDER BY offset");
      if (!chunks) return chunks.error();
      chunks->Bind(1, blob.account).Bind(2, blob.sha);
      platform::Sha256 hasher;
      int64_t end = 0;
      bool contiguous = true;
      while (true) {
        Result<bool> next = chunks->Step();
        if (!next) return next.error();
        if (!*next) break;
        if (chunks->Int(0) != end) contiguous = false;
        const std::string_view data = chunks->Blob(1);
        hasher.Update(data);
        end = chunks->Int(0) + static_cast<int64_t>(data.size());
      }
      const std::string where = "account '" + blob.account + "', blob " + blob.sha;
      if (!contiguous) problems.push_back(where + ": its chunks overlap or leave a gap");
      if (end != blob.received) {
        problems.push_back(where + ": received " + std::to_string(blob.received) + " but its chunks hold " +
                           std::to_string(end) + " bytes");
      }
      if (blob.complete && (blob.received != blob.size || platform::ToHex(hasher.Finish()) != blob.sha)) {
        problems.push_back(where + ": complete but its chunks do not make its " + std::to_string(blob.size) +
                           " bytes of that SHA-256");
      }
    }
  }
  {
    Result<Stmt> orphans = db_->Prepare(
        "SELECT DISTINCT account, sha256 FROM blob_chunks c WHERE NOT EXISTS "
        "(SELECT 1 FROM blobs b WHERE b.account = c.account AND b.sha256 = c.sha256)");
    if (!orphans) return orphans.error();
    Result<std::vector<std::string>> list = storage::CollectRows(*orphans, [](Stmt& s) {
      return "account '" + s.Text(0) + "', blob " + s.Text(1) + ": chunks with no blob row";
    });
    if (!list) return list.error();
    problems.insert(problems.end(), list->begin(), list->end());
  }
  // Items: inline content of its SHA-256, or a complete blob of it.
  Result<Stmt> items = db_->Prepare("SELECT account, collection, uid, sha256, content, blob_sha256 FROM items");
  if (!items) return items.error();
  while (true) {
    Result<bool> next = items->Step();
    if (!next) return next.error();
    if (!*next) break;
    const std::string account = items->Text(0), sha = items->Text(3);
    const std::string where = "account '" + account + "', collection " + items->Text(1) + ", item " + items->Text(2);
    if (items->IsNull(5)) {
      if (items->IsNull(4)) {
        problems.push_back(where + ": neither content nor blob");
      } else if (platform::ToHex(platform::Sha256Of(items->Blob(4))) != sha) {
        problems.push_back(where + ": its content does not hash to its SHA-256 " + sha);
      }
      continue;
    }
    const std::string blob = items->Text(5);
    auto found = complete_blobs.find({account, blob});
    if (!items->IsNull(4)) problems.push_back(where + ": both content and a blob");
    if (blob != sha) problems.push_back(where + ": SHA-256 " + sha + " but blob " + blob);
    if (found == complete_blobs.end() || !found->second) problems.push_back(where + ": its blob is not complete");
  }
  return problems;
}

}  // namespace holdfast::server
