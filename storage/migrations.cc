#include "storage/migrations.h"

#include <iterator>
#include <string>

namespace holdfast::storage {
namespace {

// Migration 1: the vault as first released.
//   collections  one per address book, calendar, task list, notebook or photo folder
//   items        the current state of each (collection, uid); its current
//                content is its newest revision (the highest revision id)
//   revisions    every distinct content an item ever had, with capture time;
//                the bytes inline, or a blob for large content (photos)
//   tombstones   deletions seen on the device; restored_at_ms set if it came back
//   blobs        content-addressed large content, sha256 NULL while being written
//   blob_chunks  a blob's bytes in order, chunk by chunk
//   meta         device id, schema version, creation time
constexpr const char* kMigration1 = R"sql(
CREATE TABLE meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE collections(
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK(kind IN ('contact', 'event', 'task', 'note', 'photo')),
  name TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  UNIQUE(source, name)
);

CREATE TABLE blobs(
  id INTEGER PRIMARY KEY,
  sha256 BLOB UNIQUE,
  size_bytes INTEGER NOT NULL,
  chunk_count INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL
);

CREATE TABLE blob_chunks(
  id INTEGER PRIMARY KEY,
  blob_id INTEGER NOT NULL REFERENCES blobs(id),
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  UNIQUE(blob_id, seq)
);

CREATE TABLE items(
  id INTEGER PRIMARY KEY,
  collection_id INTEGER NOT NULL REFERENCES collections(id),
  uid TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '',
  sha256 BLOB NOT NULL,
  size_bytes INTEGER NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  UNIQUE(collection_id, uid)
);

CREATE TABLE revisions(
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES items(id),
  captured_at_ms INTEGER NOT NULL,
  sha256 BLOB NOT NULL,
  size_bytes INTEGER NOT NULL,
  content BLOB,
  blob_id INTEGER REFERENCES blobs(id),
  CHECK((content IS NULL) != (blob_id IS NULL))
);
CREATE INDEX revisions_by_item ON revisions(item_id, captured_at_ms);

CREATE TABLE tombstones(
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES items(id),
  deleted_at_ms INTEGER NOT NULL,
  restored_at_ms INTEGER
);
CREATE INDEX tombstones_by_item ON tombstones(item_id, restored_at_ms);

INSERT INTO meta(key, value) VALUES
  ('device_id', lower(hex(randomblob(16)))),
  ('created_at_ms', CAST(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) AS TEXT));
)sql";

// Migration 2: what incremental capture needs.
//   source_files      the stat cache: each file of a source as last read, so a
//                     rescan reads only files whose size, mtime or inode changed,
//                     with the uids of the items it held (NUL-separated)
//   items.source_path where in its source the item was last seen (restore
//                     writes it back there; a vanished file tombstones it)
//   loss_alerts       collections where capture suspects a loss on the device
//                     and refuses to record deletions
//   capture_problems  files the last capture of a source could not read
constexpr const char* kMigration2 = R"sql(
CREATE TABLE source_files(
  source TEXT NOT NULL,
  path TEXT NOT NULL,
  collection_id INTEGER NOT NULL REFERENCES collections(id),
  size_bytes INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  inode INTEGER NOT NULL,
  sha256 BLOB NOT NULL,
  item_uids BLOB NOT NULL,
  PRIMARY KEY(source, path)
) WITHOUT ROWID;

ALTER TABLE items ADD COLUMN source_path TEXT;

CREATE TABLE loss_alerts(
  collection_id INTEGER PRIMARY KEY REFERENCES collections(id),
  raised_at_ms INTEGER NOT NULL,
  items_before INTEGER NOT NULL,
  items_missing INTEGER NOT NULL
);

CREATE TABLE capture_problems(
  source TEXT NOT NULL,
  path TEXT NOT NULL,
  line INTEGER NOT NULL,
  reason TEXT NOT NULL,
  seen_at_ms INTEGER NOT NULL,
  PRIMARY KEY(source, path)
);
)sql";

// Migration 3: what pushing to servers needs.
//   ledger        per remote, the content (SHA-256) of each item the server
//                 acknowledged; a tombstoned item whose row is still here has
//                 a deletion the server has not acknowledged yet
//   remote_blobs  per remote, the blobs the server holds complete
//   remote_state  per remote, the server's epoch when the ledger was written,
//                 a recovery in progress (its reason and start), and the last
//                 operator re-upload request carried out
//   recovery_reports  what each recovery did (the agent's JSON text), newest last
constexpr const char* kMigration3 = R"sql(
CREATE TABLE ledger(
  remote TEXT NOT NULL,
  item_id INTEGER NOT NULL REFERENCES items(id),
  sha256 BLOB NOT NULL,
  acked_at_ms INTEGER NOT NULL,
  PRIMARY KEY(remote, item_id)
) WITHOUT ROWID;

CREATE TABLE remote_blobs(
  remote TEXT NOT NULL,
  sha256 BLOB NOT NULL,
  PRIMARY KEY(remote, sha256)
) WITHOUT ROWID;

CREATE TABLE remote_state(
  remote TEXT PRIMARY KEY,
  epoch TEXT,
  last_push_ms INTEGER,
  recovery_reason TEXT,
  recovery_started_ms INTEGER,
  reupload_done TEXT
);

CREATE TABLE recovery_reports(
  id INTEGER PRIMARY KEY,
  remote TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL,
  verified INTEGER NOT NULL,
  report TEXT NOT NULL
);
)sql";

// Migration 4: a recovery's progress, for `status --json` while it runs.
constexpr const char* kMigration4 = R"sql(
ALTER TABLE remote_state ADD COLUMN recovery_progress TEXT;
)sql";

// Migration 5: the server's own version token for what it acknowledged
// (a DAV server's ETag), for servers that rewrite what they store so that
// its bytes no longer match the vault's SHA-256. NULL: none was given (the
// Holdfast protocol names content by its SHA-256).
constexpr const char* kMigration5 = R"sql(
ALTER TABLE ledger ADD COLUMN version TEXT;
)sql";

// Migration 6: what a DAV server (docs/dav.md) needs remembered between runs.
//   remote_collections  per remote and server collection, the sync token
//                       (RFC 6578) and CTag the server gave after this
//                       device's last push or check; a changed one sends
//                       detection to the inventory, an unknown token is a
//                       sign of a replaced store
//   remote_refusals     items a remote refused (a 4xx on PUT, a conflict
//                       with another client's version): the content refused
//                       and the server's word, until it acknowledges one
constexpr const char* kMigration6 = R"sql(
CREATE TABLE remote_collections(
  remote TEXT NOT NULL,
  collection TEXT NOT NULL,
  sync_token TEXT,
  ctag TEXT,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY(remote, collection)
) WITHOUT ROWID;

CREATE TABLE remote_refusals(
  remote TEXT NOT NULL,
  item_id INTEGER NOT NULL REFERENCES items(id),
  sha256 BLOB NOT NULL,
  reason TEXT NOT NULL,
  refused_ms INTEGER NOT NULL,
  PRIMARY KEY(remote, item_id)
) WITHOUT ROWID;
)sql";

struct Migration {
  int version;
  const char* sql;
};

constexpr Migration kMigrations[] = {
    {1, kMigration1},
    {2, kMigration2},
    {3, kMigration3},
    {4, kMigration4},
    {5, kMigration5},
    {6, kMigration6},
};
static_assert(std::size(kMigrations) == kCurrentSchemaVersion,
              "one migration per schema version");

Status ApplyOne(Db& db, const Migration& migration) {
  Result<std::unique_ptr<Transaction>> txn = Transaction::Begin(db);
  if (!txn) return txn.error();
  const std::string context = "migration to schema " + std::to_string(migration.version);
  Status status = db.Exec(migration.sql);
  if (status.ok()) {
    status = db.Exec("PRAGMA user_version = " + std::to_string(migration.version));
  }
  if (status.ok()) {
    Result<Stmt> meta =
        db.Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?1)");
    status = meta ? meta->Bind(1, std::to_string(migration.version)).Run() : meta.error();
  }
  if (status.ok()) status = (*txn)->Commit();
  return status.WithContext(context);
}

}  // namespace

Result<int> SchemaVersion(Db& db) {
  Result<int64_t> version = db.QueryInt("PRAGMA user_version");
  if (!version) return version.error();
  return static_cast<int>(*version);
}

Status MigrateTo(Db& db, int target_version) {
  Result<int> current = SchemaVersion(db);
  if (!current) return current.error();
  if (*current > target_version) {
    return Status(ErrorCode::kVaultTooNew,
                  "the vault has schema version " + std::to_string(*current) +
                      " but this Holdfast knows only up to " + std::to_string(target_version) +
                      ": it was written by a newer Holdfast; upgrade Holdfast (the vault was left "
                      "untouched)");
  }
  for (const Migration& migration : kMigrations) {
    if (migration.version <= *current || migration.version > target_version) continue;
    HF_RETURN_IF_ERROR(ApplyOne(db, migration));
  }
  return Status::Ok();
}

}  // namespace holdfast::storage
