#include "storage/vault.h"

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <utility>

#include "platform/files.h"
#include "storage/capture_state.h"
#include "storage/checkpointer.h"
#include "storage/migrations.h"
#include "storage/sqlite_handle.h"
#include "storage/vault_connection.h"
#include "storage/vault_sql.h"

namespace holdfast::storage {
namespace {

namespace fs = std::filesystem;
using platform::Digest;

constexpr char kSqliteMagic[] = "SQLite format 3";  // 16 bytes with its NUL
constexpr size_t kHeaderSizeBytes = 100;
constexpr int kPageSizeBytes = 16384;

uint32_t BigEndian32(const std::string& bytes, size_t offset) {
  return static_cast<uint32_t>(static_cast<uint8_t>(bytes[offset])) << 24 |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[offset + 1])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[offset + 2])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[offset + 3]));
}

// A file: URI for SQLite, with the characters URIs reserve percent-encoded.
std::string FileUri(const fs::path& path) {
  std::string uri = "file:";
  for (unsigned char c : path.string()) {
    if (c == '%' || c == '?' || c == '#' || c < 0x20 || c >= 0x7f) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 0xf];
    } else {
      uri += static_cast<char>(c);
    }
  }
  // psow=0: do not assume a torn write leaves neighbouring bytes intact.
  return uri + "?psow=0";
}

// Whether a WAL with a valid header lies beside the vault file.
bool HasWal(const fs::path& path) {
  Result<std::string> wal = platform::ReadFilePrefix(path.string() + "-wal", 32);
  if (!wal || wal->size() < 32) return false;
  uint32_t magic = BigEndian32(*wal, 0);
  return magic == 0x377f0682 || magic == 0x377f0683;  // the two WAL magic numbers
}

// Checks the first bytes of an existing, non-empty file without SQLite, so a
// foreign file is refused before anything could write to it.
//
// One exception: a power cut during a checkpoint can tear the file's first
// page while the WAL beside it still holds that page's committed copy, which
// SQLite reads instead (tests/crash/power_cut_test.cc found this). So when
// the header is damaged and a WAL is there, *header_in_wal is set and the
// caller checks the application id through SQLite before writing anything.
Status ProbeHeader(const fs::path& path, bool* is_empty, bool* header_in_wal) {
  Result<std::string> header = platform::ReadFilePrefix(path, kHeaderSizeBytes);
  if (!header) return header.error();
  *is_empty = header->empty();
  *header_in_wal = false;
  if (*is_empty) return Status::Ok();
  bool sqlite = header->size() >= kHeaderSizeBytes &&
                std::memcmp(header->data(), kSqliteMagic, sizeof kSqliteMagic) == 0;
  if (sqlite && BigEndian32(*header, 68) == static_cast<uint32_t>(kVaultApplicationId)) return Status::Ok();
  if (HasWal(path)) {
    *header_in_wal = true;
    return Status::Ok();
  }
  if (!sqlite) {
    return Status(ErrorCode::kNotAVault, path.string() + ": not a Holdfast vault (not an SQLite file)");
  }
  return Status(ErrorCode::kNotAVault,
                path.string() + ": not a Holdfast vault (an SQLite database of another program)");
}

bool IsLive(const Stmt& stmt, int column) { return stmt.Int(column) == 0; }

// Past this many WAL pages (64 MiB) the writer checkpoints itself, so the WAL
// stays bounded even if the background checkpointer falls behind.
constexpr int kWalBackstopPages = 4096;
// The background checkpointer is woken once the WAL holds this many pages.
constexpr int kWalNudgePages = 256;

// SQLite calls this after each commit with the WAL's size in pages.
int OnWalCommit(void* checkpointer, sqlite3* db, const char* name, int wal_pages) {
  if (wal_pages >= kWalBackstopPages) {
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (wal_pages >= kWalNudgePages) {
    static_cast<Checkpointer*>(checkpointer)->Nudge();
  }
  return SQLITE_OK;
}

}  // namespace

const char* ItemKindName(ItemKind kind) {
  switch (kind) {
    case ItemKind::kContact: return "contact";
    case ItemKind::kEvent: return "event";
    case ItemKind::kTask: return "task";
    case ItemKind::kNote: return "note";
    case ItemKind::kPhoto: return "photo";
  }
  return "unknown";
}

std::optional<ItemKind> ParseItemKind(std::string_view name) {
  for (ItemKind kind : kAllItemKinds) {
    if (name == ItemKindName(kind)) return kind;
  }
  return std::nullopt;
}

WriteBatch::WriteBatch(WriteBatch&& other) noexcept : vault_(other.vault_) { other.vault_ = nullptr; }

WriteBatch::~WriteBatch() {
  if (vault_ != nullptr) vault_->conn_->RollbackBatch();
}

Status WriteBatch::Commit() {
  if (vault_ == nullptr) return Status(ErrorCode::kInternal, "commit of a finished batch");
  Vault* vault = std::exchange(vault_, nullptr);
  return vault->conn_->CommitBatch().WithContext("commit to " + vault->path_.string());
}

Vault::Vault(fs::path path, platform::FileLock lock, std::unique_ptr<VaultConnection> conn)
    : path_(std::move(path)),
      lock_(std::move(lock)),
      conn_(std::move(conn)),
      blobs_(new BlobStore(*conn_)),
      capture_state_(new CaptureState(*conn_)) {}

Vault::~Vault() {
  checkpointer_.reset();  // its thread must not outlive the writer's connection
}

Result<std::unique_ptr<Vault>> Vault::Open(const fs::path& requested_path, OpenMode mode) {
  std::error_code ec;
  // Symbolic links resolved: the lock beside the vault must be the same
  // lock whichever name a second agent uses for the file.
  fs::path path = fs::weakly_canonical(fs::absolute(requested_path, ec), ec);
  if (ec) return Status(ErrorCode::kInvalidArgument, requested_path.string() + ": " + ec.message());
  const std::string where = path.string();

  struct stat st {};
  bool exists = stat(path.c_str(), &st) == 0;
  if (!exists && errno != ENOENT) return ErrnoStatus(where, errno);
  if (!exists && mode == OpenMode::kExisting) {
    return Status(ErrorCode::kNotFound, where + ": no vault here (create one with `holdfast init`)");
  }
  if (exists && !S_ISREG(st.st_mode)) {
    return Status(ErrorCode::kNotAVault, where + ": not a Holdfast vault (not a regular file)");
  }
  bool is_empty = false;
  bool header_in_wal = false;
  if (exists) {
    // A foreign file is refused before anything is created beside it.
    HF_RETURN_IF_ERROR(ProbeHeader(path, &is_empty, &header_in_wal));
  } else {
    HF_RETURN_IF_ERROR(platform::EnsurePrivateDir(path.parent_path()));
  }

  // The lock comes first: nobody else may create, probe or migrate meanwhile.
  Result<platform::FileLock> lock = platform::FileLock::Acquire(where + ".lock");
  if (!lock) return lock.error().WithContext(where);

  // Steps of creating a vault, each safe to crash after:
  //   1. an empty file, 0600 (reopening an empty file resumes at step 2)
  //   2. application_id written in a rollback-journal commit (a crash leaves
  //      a vault at schema 0, which migration 1 brings up)
  //   3. WAL mode, then migrations, each in its own transaction
  bool created = false;
  if (stat(path.c_str(), &st) != 0) {
    HF_RETURN_IF_ERROR(platform::CreateEmptyFile(path, 0600));
    created = true;
  }
  // The file's own lock: another name for the same file (a hard link) has
  // another lock file, but not another file.
  HF_RETURN_IF_ERROR(lock->LockTarget(path).WithContext(where));
  HF_RETURN_IF_ERROR(ProbeHeader(path, &is_empty, &header_in_wal));  // again: it may have changed before the lock
  if (is_empty && mode == OpenMode::kExisting) {
    return Status(ErrorCode::kNotAVault,
                  where + ": empty file, not a vault (an interrupted `holdfast init` or `holdfast import`? run it again)");
  }

  Result<std::unique_ptr<Db>> db = Db::Open(FileUri(path), SQLITE_OPEN_READWRITE);
  if (!db) return db.error();
  std::unique_ptr<Vault> vault(
      new Vault(path, std::move(*lock), std::make_unique<VaultConnection>(std::move(*db))));
  Db& conn = vault->conn_->db();
  // Until the vault is known to be one this Holdfast may write, closing the
  // connection must not fold a WAL left by a crash into the file: a refused
  // vault is left exactly as it was.
  sqlite3_db_config(conn.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);

  if (is_empty) {
    // 16 KiB pages: a photo chunk spans 16 pages instead of 64, cutting the
    // WAL's write and checkpoint calls fourfold, while small items do not pay
    // for copying large pages into statement journals (measured 4 KiB to
    // 64 KiB, see docs/benchmarks.md). Only a new database takes a page size.
    HF_RETURN_IF_ERROR(conn.Exec("PRAGMA page_size = " + std::to_string(kPageSizeBytes)));
    HF_RETURN_IF_ERROR(conn.Exec("PRAGMA application_id = " + std::to_string(kVaultApplicationId)));
  }
  if (header_in_wal) {
    // The file's own header was torn; SQLite reads page 1 from the WAL.
    Result<int64_t> application_id = conn.QueryInt("PRAGMA application_id");
    if (!application_id) return application_id.error().WithContext(where);
    if (*application_id != kVaultApplicationId) {
      return Status(ErrorCode::kNotAVault, where + ": not a Holdfast vault (its header and its WAL say otherwise)");
    }
  }
  // Reads only until the version is known to be ours: a vault from a newer
  // Holdfast, or a damaged one, is refused before anything writes to it.
  Result<int> version = SchemaVersion(conn);
  if (!version) return version.error().WithContext(where);
  if (*version > kCurrentSchemaVersion) {
    return MigrateTo(conn, kCurrentSchemaVersion).WithContext(where);
  }
  Result<int64_t> tables = conn.QueryInt("SELECT count(*) FROM sqlite_schema");
  if (!tables) return tables.error().WithContext(where);
  sqlite3_db_config(conn.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);

  {
    Result<Stmt> mode_stmt = conn.Prepare("PRAGMA journal_mode = WAL");
    if (!mode_stmt) return mode_stmt.error();
    Result<bool> row = mode_stmt->Step();
    if (!row) return row.error().WithContext(where);
    if (!*row || mode_stmt->Text(0) != "wal") {
      return Status(ErrorCode::kIoError, where + ": cannot switch the vault to WAL mode");
    }
  }
  // Foreign keys stay declared but unenforced: enforcing them makes SQLite
  // keep a statement journal for every insert in a batch, which cost 22% of
  // capture's writer thread (callgrind, docs/benchmarks.md). The vault's own
  // code checks parents where rows are created, and Verify reports orphans.
  // temp_store=MEMORY keeps the statement journals that remain (upserts) off
  // the disk: scratch space a crash discards anyway.
  HF_RETURN_IF_ERROR(conn.Exec(
      "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY;"));
  HF_RETURN_IF_ERROR(MigrateTo(conn, kCurrentSchemaVersion).WithContext(where));
  // Checkpoints move to a second thread; the hook replaces SQLite's
  // autocheckpoint (which it disables) with a nudge and a backstop.
  Result<std::unique_ptr<Checkpointer>> checkpointer = Checkpointer::Start(FileUri(path));
  if (!checkpointer) return checkpointer.error().WithContext(where);
  vault->checkpointer_ = std::move(*checkpointer);
  sqlite3_wal_hook(conn.get(), &OnWalCommit, vault->checkpointer_.get());
  HF_RETURN_IF_ERROR(vault->LoadMeta().WithContext(where));
  HF_RETURN_IF_ERROR(vault->blobs_->RemoveIncompleteBlobs().WithContext(where));
  if (created) HF_RETURN_IF_ERROR(platform::SyncDir(path.parent_path()));
  return vault;
}

Status Vault::LoadMeta() {
  Result<Stmt> stmt = conn_->db().Prepare("SELECT key, value FROM meta");
  if (!stmt) return stmt.error();
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) return row.error();
    if (!*row) break;
    std::string key = stmt->Text(0);
    std::string value = stmt->Text(1);
    if (key == "device_id") device_id_ = value;
    if (key == "created_at_ms") created_at_ms_ = std::strtoll(value.c_str(), nullptr, 10);
    if (key == "schema_version") schema_version_ = std::atoi(value.c_str());
  }
  if (device_id_.empty() || schema_version_ == 0) {
    return Status(ErrorCode::kCorruptVault, "the vault's meta table lacks its device id or schema version");
  }
  return Status::Ok();
}

Result<WriteBatch> Vault::BeginBatch() {
  HF_RETURN_IF_ERROR(conn_->BeginBatch());
  return WriteBatch(this);
}

Status Vault::InTransaction(const std::function<Status()>& body) { return conn_->InTransaction(body); }

Result<int64_t> Vault::EnsureCollection(ItemKind kind, std::string_view name,
                                        std::string_view source) {
  Result<Stmt> find = conn_->db().Cached("SELECT id, kind FROM collections WHERE source = ?1 AND name = ?2");
  if (!find) return find.error();
  find->Bind(1, source).Bind(2, name);
  Result<bool> row = find->Step();
  if (!row) return row.error();
  if (*row) {
    if (find->Text(1) != ItemKindName(kind)) {
      return Status(ErrorCode::kInvalidArgument,
                    "collection '" + std::string(name) + "' of source '" + std::string(source) +
                        "' holds " + find->Text(1) + " items, not " + ItemKindName(kind));
    }
    return find->Int(0);
  }
  find->Reset();
  int64_t id = 0;
  Status status = InTransaction([&]() -> Status {
    Result<Stmt> insert = conn_->db().Cached(
        "INSERT INTO collections(kind, name, source, created_at_ms) "
        "VALUES(?1, ?2, ?3, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))");
    if (!insert) return insert.error();
    HF_RETURN_IF_ERROR(insert->Bind(1, ItemKindName(kind)).Bind(2, name).Bind(3, source).Run());
    id = sqlite3_last_insert_rowid(conn_->db().get());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return id;
}

Result<std::vector<CollectionInfo>> Vault::ListCollections() {
  Result<Stmt> stmt =
      conn_->db().Prepare("SELECT id, kind, name, source, created_at_ms FROM collections ORDER BY id");
  if (!stmt) return stmt.error();
  std::vector<CollectionInfo> out;
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) return row.error();
    if (!*row) break;
    CollectionInfo info;
    info.id = stmt->Int(0);
    std::optional<ItemKind> kind = ParseItemKind(stmt->Text(1));
    if (!kind) return Status(ErrorCode::kCorruptVault, "collection " + std::to_string(info.id) + " has an unknown kind");
    info.kind = *kind;
    info.name = stmt->Text(2);
    info.source = stmt->Text(3);
    info.created_at_ms = stmt->Int(4);
    out.push_back(std::move(info));
  }
  return out;
}

Result<PutOutcome> Vault::PutItem(int64_t collection_id, std::string_view uid,
                                  std::string_view content, std::string_view summary,
                                  int64_t now_ms, std::string_view source_path) {
  return PutContent(collection_id, uid, platform::Sha256Of(content), content.size(), content,
                    std::nullopt, summary, now_ms, source_path);
}

Result<PutOutcome> Vault::PutItemHashed(int64_t collection_id, std::string_view uid,
                                        std::string_view content, const Digest& sha256,
                                        std::string_view summary, int64_t now_ms,
                                        std::string_view source_path) {
  return PutContent(collection_id, uid, sha256, content.size(), content, std::nullopt, summary,
                    now_ms, source_path);
}

Result<PutOutcome> Vault::PutItemBlob(int64_t collection_id, std::string_view uid,
                                      const BlobRef& blob, std::string_view summary,
                                      int64_t now_ms, std::string_view source_path) {
  Result<int64_t> blob_id = blobs_->BlobId(blob.sha256);
  if (!blob_id) return blob_id.error();
  return PutContent(collection_id, uid, blob.sha256, blob.size_bytes, {}, *blob_id, summary, now_ms,
                    source_path);
}

namespace {

// What a put needs to know of an item already in the vault.
struct ExistingItem {
  int64_t id = 0;
  bool same_bytes = false;  // its current content has the SHA-256 being put
  bool tombstoned = false;
  bool same_path = true;    // last seen where it is being put from
};

Result<ExistingItem> LookUpForPut(Db& db, int64_t collection_id, std::string_view uid,
                                  const Digest& sha256, std::string_view source_path) {
  Result<Stmt> find = db.Cached(
      "SELECT i.id, i.sha256, " HF_SQL_ITEM_TOMBSTONED ", coalesce(i.source_path, '') FROM items i "
      "WHERE i.collection_id = ?1 AND i.uid = ?2");
  if (!find) return find.error();
  Result<bool> row = find->Bind(1, collection_id).Bind(2, uid).Step();
  if (!row) return row.error();
  if (!*row) return Status(ErrorCode::kInternal, "item '" + std::string(uid) + "' vanished mid-put");
  ExistingItem item;
  item.id = find->Int(0);
  item.same_bytes = DigestFromBytes(find->Blob(1)) == sha256;
  item.tombstoned = !IsLive(*find, 2);
  item.same_path = source_path.empty() || find->Text(3) == source_path;
  return item;
}

// Inserts the item unless (collection, uid) exists; its id if it was new.
Result<std::optional<int64_t>> InsertItemIfNew(Db& db, int64_t collection_id, std::string_view uid,
                                               const Digest& sha256, uint64_t size_bytes,
                                               std::string_view summary, int64_t now_ms,
                                               std::string_view source_path) {
  Result<Stmt> insert = db.Cached(
      "INSERT INTO items(collection_id, uid, summary, sha256, size_bytes, first_seen_ms, "
      "last_seen_ms, source_path) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7) "
      "ON CONFLICT(collection_id, uid) DO NOTHING");
  if (!insert) return insert.error();
  insert->Bind(1, collection_id).Bind(2, uid).Bind(3, summary);
  insert->BindBlob(4, sha256.data(), sha256.size()).Bind(5, static_cast<int64_t>(size_bytes));
  insert->Bind(6, now_ms);
  if (source_path.empty()) {
    insert->BindNull(7);
  } else {
    insert->Bind(7, source_path);
  }
  HF_RETURN_IF_ERROR(insert->Run());
  if (sqlite3_changes(db.get()) == 0) return std::optional<int64_t>();
  return std::optional<int64_t>(sqlite3_last_insert_rowid(db.get()));
}

Status InsertRevision(Db& db, int64_t item_id, int64_t now_ms, const Digest& sha256,
                      uint64_t size_bytes, std::string_view inline_content,
                      std::optional<int64_t> blob_id) {
  Result<Stmt> revision = db.Cached(
      "INSERT INTO revisions(item_id, captured_at_ms, sha256, size_bytes, content, blob_id) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  if (!revision) return revision.error();
  revision->Bind(1, item_id).Bind(2, now_ms).BindBlob(3, sha256.data(), sha256.size());
  revision->Bind(4, static_cast<int64_t>(size_bytes));
  if (blob_id) {
    revision->BindNull(5).Bind(6, *blob_id);
  } else {
    revision->BindBlobStatic(5, inline_content.data(), inline_content.size()).BindNull(6);
  }
  return revision->Run();
}

}  // namespace

// Writes, in one transaction: the item if new, a revision if the bytes are
// new to it (the newest revision is the current content), its path if it
// moved, and the end of an open tombstone.
Result<PutOutcome> Vault::PutContent(int64_t collection_id, std::string_view uid,
                                     const Digest& sha256, uint64_t size_bytes,
                                     std::string_view inline_content,
                                     std::optional<int64_t> blob_id, std::string_view summary,
                                     int64_t now_ms, std::string_view source_path) {
  PutOutcome outcome = PutOutcome::kUnchanged;
  Status status = InTransaction([&]() -> Status {
    // Collections are never deleted, so one confirmation per collection will do.
    if (conn_->known_collections().count(collection_id) == 0) {
      Result<Stmt> parent = conn_->db().Cached("SELECT 1 FROM collections WHERE id = ?1");
      if (!parent) return parent.error();
      Result<bool> exists = parent->Bind(1, collection_id).Step();
      if (!exists) return exists.error();
      if (!*exists) {
        return Status(ErrorCode::kNotFound, "collection " + std::to_string(collection_id) + " does not exist");
      }
      conn_->known_collections().insert(collection_id);
    }
    // Most puts of a first capture are new items: insert first, look up after.
    Result<std::optional<int64_t>> created = InsertItemIfNew(conn_->db(), collection_id, uid, sha256, size_bytes,
                                                             summary, now_ms, source_path);
    if (!created) return created.error();
    if (*created) {
      outcome = PutOutcome::kCreated;
      return InsertRevision(conn_->db(), **created, now_ms, sha256, size_bytes, inline_content, blob_id);
    }
    Result<ExistingItem> item = LookUpForPut(conn_->db(), collection_id, uid, sha256, source_path);
    if (!item) return item.error();
    if (!item->same_bytes) {
      HF_RETURN_IF_ERROR(InsertRevision(conn_->db(), item->id, now_ms, sha256, size_bytes, inline_content, blob_id));
      Result<Stmt> update = conn_->db().Cached(
          "UPDATE items SET sha256 = ?2, size_bytes = ?3, last_seen_ms = ?4, summary = ?5 WHERE id = ?1");
      if (!update) return update.error();
      update->Bind(1, item->id).BindBlob(2, sha256.data(), sha256.size());
      update->Bind(3, static_cast<int64_t>(size_bytes)).Bind(4, now_ms);
      HF_RETURN_IF_ERROR(update->Bind(5, summary).Run());
      outcome = PutOutcome::kChanged;
    }
    if (!item->same_path) {
      Result<Stmt> move = conn_->db().Cached("UPDATE items SET source_path = ?2 WHERE id = ?1");
      if (!move) return move.error();
      HF_RETURN_IF_ERROR(move->Bind(1, item->id).Bind(2, source_path).Run());
    }
    if (item->tombstoned) {
      Result<Stmt> restore = conn_->db().Cached(
          "UPDATE tombstones SET restored_at_ms = ?2 WHERE item_id = ?1 AND restored_at_ms IS NULL");
      if (!restore) return restore.error();
      HF_RETURN_IF_ERROR(restore->Bind(1, item->id).Bind(2, now_ms).Run());
      outcome = PutOutcome::kRestored;
    }
    return Status::Ok();
  });
  if (!status.ok()) return status.WithContext("put item '" + std::string(uid) + "'");
  return outcome;
}

Result<bool> Vault::TombstoneItem(int64_t collection_id, std::string_view uid, int64_t now_ms) {
  bool recorded = false;
  Status status = InTransaction([&]() -> Status {
    Result<Stmt> insert = conn_->db().Cached(
        "INSERT INTO tombstones(item_id, deleted_at_ms) SELECT i.id, ?3 FROM items i "
        "WHERE i.collection_id = ?1 AND i.uid = ?2 AND " HF_SQL_ITEM_LIVE);
    if (!insert) return insert.error();
    HF_RETURN_IF_ERROR(insert->Bind(1, collection_id).Bind(2, uid).Bind(3, now_ms).Run());
    recorded = sqlite3_changes(conn_->db().get()) > 0;
    return Status::Ok();
  });
  if (!status.ok()) return status.WithContext("tombstone item '" + std::string(uid) + "'");
  return recorded;
}

namespace internal {

constexpr const char* kItemColumns =
    "i.id, i.collection_id, i.uid, i.summary, i.sha256, i.size_bytes, "
    "(SELECT max(r.id) FROM revisions r WHERE r.item_id = i.id), "
    "i.first_seen_ms, i.last_seen_ms, " HF_SQL_ITEM_TOMBSTONED ", coalesce(i.source_path, '')";

ItemRecord ReadItemRow(const Stmt& stmt) {
  ItemRecord item;
  item.id = stmt.Int(0);
  item.collection_id = stmt.Int(1);
  item.uid = stmt.Text(2);
  item.summary = stmt.Text(3);
  item.sha256 = DigestFromBytes(stmt.Blob(4));
  item.size_bytes = static_cast<uint64_t>(stmt.Int(5));
  item.head_revision_id = stmt.Int(6);
  item.first_seen_ms = stmt.Int(7);
  item.last_seen_ms = stmt.Int(8);
  item.deleted = stmt.Int(9) != 0;
  item.source_path = stmt.Text(10);
  return item;
}

RevisionInfo ReadRevisionRow(const Stmt& stmt) {
  RevisionInfo revision;
  revision.id = stmt.Int(0);
  revision.captured_at_ms = stmt.Int(1);
  revision.sha256 = DigestFromBytes(stmt.Blob(2));
  revision.size_bytes = static_cast<uint64_t>(stmt.Int(3));
  revision.in_blob = !stmt.IsNull(4);
  return revision;
}

}  // namespace internal
using internal::kItemColumns;
using internal::ReadItemRow;
using internal::ReadRevisionRow;

Result<std::optional<ItemRecord>> Vault::FindItem(int64_t collection_id, std::string_view uid) {
  Result<Stmt> stmt = conn_->db().Prepare(std::string("SELECT ") + kItemColumns +
                                   " FROM items i WHERE i.collection_id = ?1 AND i.uid = ?2");
  if (!stmt) return stmt.error();
  stmt->Bind(1, collection_id).Bind(2, uid);
  Result<bool> row = stmt->Step();
  if (!row) return row.error();
  if (!*row) return std::optional<ItemRecord>();
  return std::optional<ItemRecord>(ReadItemRow(*stmt));
}

Result<std::vector<ItemRecord>> Vault::ListItems(int64_t collection_id) {
  Result<Stmt> stmt = conn_->db().Prepare(std::string("SELECT ") + kItemColumns +
                                   " FROM items i WHERE i.collection_id = ?1 ORDER BY i.uid");
  if (!stmt) return stmt.error();
  stmt->Bind(1, collection_id);
  return CollectRows(*stmt, ReadItemRow);
}

Status Vault::ForEachItem(int64_t collection_id, const std::function<Status(ItemRecord&&)>& visit) {
  // Prepared, not cached: a visitor may walk another collection (or this
  // one again) while this statement is open.
  Result<Stmt> stmt = conn_->db().Prepare(std::string("SELECT ") + kItemColumns +
                                          " FROM items i WHERE i.collection_id = ?1 ORDER BY i.uid");
  if (!stmt) return stmt.error();
  stmt->Bind(1, collection_id);
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) return row.error();
    if (!*row) return Status::Ok();
    HF_RETURN_IF_ERROR(visit(ReadItemRow(*stmt)));
  }
}

Result<std::optional<std::string>> Vault::LivePathOf(int64_t collection_id, std::string_view uid) {
  Result<Stmt> stmt = conn_->db().Cached(
      "SELECT coalesce(i.source_path, '') FROM items i WHERE i.collection_id = ?1 AND i.uid = ?2 "
      "AND " HF_SQL_ITEM_LIVE);
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->Bind(1, collection_id).Bind(2, uid).Step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(stmt->Text(0));
}

Result<std::vector<std::string>> Vault::LiveAtPath(int64_t collection_id,
                                                   std::string_view source_path,
                                                   const std::vector<std::string>& uids) {
  std::vector<std::string> live;
  for (const std::string& uid : uids) {
    Result<Stmt> stmt = conn_->db().Cached(
        "SELECT 1 FROM items i WHERE i.collection_id = ?1 AND i.uid = ?2 AND i.source_path = ?3 "
        "AND " HF_SQL_ITEM_LIVE);
    if (!stmt) return stmt.error();
    Result<bool> row = stmt->Bind(1, collection_id).Bind(2, uid).Bind(3, source_path).Step();
    if (!row) return row.error();
    if (*row) live.push_back(uid);
  }
  return live;
}

Result<int64_t> Vault::CountLiveItems(int64_t collection_id) {
  Result<Stmt> stmt = conn_->db().Cached(
      "SELECT count(*) FROM items i WHERE i.collection_id = ?1 AND " HF_SQL_ITEM_LIVE);
  if (!stmt) return stmt.error();
  stmt->Bind(1, collection_id);
  Result<bool> row = stmt->Step();
  if (!row) return row.error();
  return stmt->Int(0);
}

Status Vault::RenameItem(int64_t collection_id, std::string_view old_uid, std::string_view new_uid,
                         std::string_view new_source_path) {
  const std::string what = "rename item '" + std::string(old_uid) + "' to '" + std::string(new_uid) + "'";
  return InTransaction([&]() -> Status {
    Result<std::optional<ItemRecord>> taken = FindItem(collection_id, new_uid);
    if (!taken) return taken.error();
    if (taken->has_value() && old_uid != new_uid) {
      return Status(ErrorCode::kAlreadyExists, what + ": the new uid is taken");
    }
    Result<Stmt> stmt = conn_->db().Cached(
        "UPDATE items SET uid = ?3, source_path = ?4 WHERE collection_id = ?1 AND uid = ?2");
    if (!stmt) return stmt.error();
    HF_RETURN_IF_ERROR(
        stmt->Bind(1, collection_id).Bind(2, old_uid).Bind(3, new_uid).Bind(4, new_source_path).Run());
    if (sqlite3_changes(conn_->db().get()) == 0) return Status(ErrorCode::kNotFound, what + ": no such item");
    return Status::Ok();
  });
}

Result<std::vector<RevisionInfo>> Vault::ListRevisions(int64_t collection_id, std::string_view uid) {
  Result<Stmt> stmt = conn_->db().Cached(
      "SELECT r.id, r.captured_at_ms, r.sha256, r.size_bytes, r.blob_id FROM revisions r "
      "JOIN items i ON i.id = r.item_id WHERE i.collection_id = ?1 AND i.uid = ?2 "
      "ORDER BY r.captured_at_ms, r.id");
  if (!stmt) return stmt.error();
  stmt->Bind(1, collection_id).Bind(2, uid);
  return CollectRows(*stmt, ReadRevisionRow);
}

Result<std::optional<RevisionInfo>> Vault::RevisionAsOf(int64_t collection_id,
                                                        std::string_view uid, int64_t time_ms) {
  Result<Stmt> stmt = conn_->db().Cached(
      "SELECT r.id, r.captured_at_ms, r.sha256, r.size_bytes, r.blob_id FROM revisions r "
      "JOIN items i ON i.id = r.item_id WHERE i.collection_id = ?1 AND i.uid = ?2 "
      "AND r.captured_at_ms <= ?3 AND NOT EXISTS(SELECT 1 FROM tombstones t WHERE "
      "t.item_id = i.id AND t.deleted_at_ms <= ?3 AND (t.restored_at_ms IS NULL OR "
      "t.restored_at_ms > ?3)) ORDER BY r.captured_at_ms DESC, r.id DESC LIMIT 1");
  if (!stmt) return stmt.error();
  stmt->Bind(1, collection_id).Bind(2, uid).Bind(3, time_ms);
  Result<bool> row = stmt->Step();
  if (!row) return row.error();
  if (!*row) return std::optional<RevisionInfo>();
  return std::optional<RevisionInfo>(ReadRevisionRow(*stmt));
}

Status Vault::ReadRevision(int64_t revision_id, const ByteSink& sink) {
  Result<Stmt> stmt = conn_->db().Cached(
      "SELECT r.content, b.sha256, r.blob_id FROM revisions r LEFT JOIN blobs b ON b.id = r.blob_id "
      "WHERE r.id = ?1");
  if (!stmt) return stmt.error();
  stmt->Bind(1, revision_id);
  Result<bool> row = stmt->Step();
  if (!row) return row.error();
  if (!*row) {
    return Status(ErrorCode::kNotFound, "revision " + std::to_string(revision_id) + " does not exist");
  }
  if (stmt->IsNull(2)) return sink(stmt->Blob(0));
  Digest sha256 = DigestFromBytes(stmt->Blob(1));
  stmt->Reset();
  return blobs_->ReadBlob(sha256, sink);
}

Status Vault::ReadRevisionRange(int64_t revision_id, uint64_t offset, uint64_t max_bytes, const ByteSink& sink) {
  // substr() on a BLOB counts bytes, from 1; SQLite's lengths are int64.
  const uint64_t kMaxSqlLength = uint64_t{INT64_MAX} / 2;
  Result<Stmt> stmt = conn_->db().Cached(
      "SELECT substr(r.content, ?2 + 1, ?3), r.size_bytes, b.sha256, r.blob_id FROM revisions r "
      "LEFT JOIN blobs b ON b.id = r.blob_id WHERE r.id = ?1");
  if (!stmt) return stmt.error();
  stmt->Bind(1, revision_id)
      .Bind(2, static_cast<int64_t>(std::min(offset, kMaxSqlLength)))
      .Bind(3, static_cast<int64_t>(std::min(max_bytes, kMaxSqlLength)));
  Result<bool> row = stmt->Step();
  if (!row) return row.error();
  const std::string where = "revision " + std::to_string(revision_id);
  if (!*row) return Status(ErrorCode::kNotFound, where + " does not exist");
  if (!stmt->IsNull(3)) {
    Digest sha256 = DigestFromBytes(stmt->Blob(2));
    stmt->Reset();
    return blobs_->ReadBlobRange(sha256, offset, max_bytes, sink);
  }
  const uint64_t size_bytes = static_cast<uint64_t>(stmt->Int(1));
  if (offset > size_bytes) {
    return Status(ErrorCode::kInvalidArgument, where + ": offset " + std::to_string(offset) + " is past its end");
  }
  const std::string_view bytes = stmt->Blob(0);
  if (bytes.size() != std::min(size_bytes - offset, max_bytes)) {
    return Status(ErrorCode::kCorruptVault, where + ": its content is not " + std::to_string(size_bytes) +
                                                " bytes long");
  }
  if (bytes.empty()) return Status::Ok();
  return sink(bytes);
}

Result<std::string> Vault::ReadRevisionBytes(int64_t revision_id, uint64_t max_size_bytes) {
  std::string bytes;
  Status status = ReadRevision(revision_id, [&](std::string_view piece) -> Status {
    if (bytes.size() + piece.size() > max_size_bytes) {
      return Status(ErrorCode::kInvalidArgument, "revision " + std::to_string(revision_id) +
                                                     " is larger than " + std::to_string(max_size_bytes) +
                                                     " bytes");
    }
    bytes.append(piece);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return bytes;
}

Result<VaultStats> Vault::Stats() {
  VaultStats stats;
  Result<Stmt> stmt = conn_->db().Prepare(
      "SELECT c.kind, c.id, "
      "count(i.id) - count(t.item_id), count(t.item_id), "
      "coalesce(sum(CASE WHEN t.item_id IS NULL THEN i.size_bytes END), 0), "
      "coalesce(sum((SELECT count(*) FROM revisions r WHERE r.item_id = i.id)), 0) "
      "FROM collections c LEFT JOIN items i ON i.collection_id = c.id "
      "LEFT JOIN (SELECT DISTINCT item_id FROM tombstones WHERE restored_at_ms IS NULL) t "
      "ON t.item_id = i.id GROUP BY c.id");
  if (!stmt) return stmt.error();
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) return row.error();
    if (!*row) break;
    std::optional<ItemKind> kind = ParseItemKind(stmt->Text(0));
    if (!kind) continue;
    KindStats& c = stats.by_collection[stmt->Int(1)];
    c.collections = 1;
    c.items = stmt->Int(2);
    c.deleted_items = stmt->Int(3);
    c.content_bytes = stmt->Int(4);
    c.revisions = stmt->Int(5);
    KindStats& k = stats.by_kind[static_cast<size_t>(*kind)];
    k.collections += 1;
    k.items += c.items;
    k.deleted_items += c.deleted_items;
    k.content_bytes += c.content_bytes;
    k.revisions += c.revisions;
  }
  Result<Stmt> blobs = conn_->db().Prepare(
      "SELECT count(*), coalesce(sum(size_bytes), 0) FROM blobs WHERE sha256 IS NOT NULL");
  if (!blobs) return blobs.error();
  Result<bool> row = blobs->Step();
  if (!row) return row.error();
  stats.blobs = blobs->Int(0);
  stats.blob_bytes = blobs->Int(1);
  std::error_code ec;
  for (const char* suffix : {"", "-wal"}) {
    uintmax_t size = fs::file_size(path_.string() + suffix, ec);
    if (!ec) stats.file_size_bytes += static_cast<int64_t>(size);
  }
  return stats;
}

}  // namespace holdfast::storage
