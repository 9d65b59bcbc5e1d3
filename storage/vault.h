// The vault: one SQLite file per device holding every collection, item,
// revision, tombstone and blob Holdfast has captured, and what each remote
// acknowledged of them.
//
// Its parts, one header each, all write through the vault's one connection,
// so that a write of any part joins an open WriteBatch:
//   Vault         opening, batches, collections, items, revisions (this file)
//   BlobStore     content in chunks, by SHA-256 (blob_store.h: vault.blobs())
//   CaptureState  the sources' stat cache, loss alerts, capture problems
//                 (capture_state.h: vault.capture_state())
//   Ledger        what one remote acknowledged (ledger.h: Ledger(vault, remote))
//
// Ownership: a Vault owns its SQLite connection, its BlobStore and
// CaptureState, and an exclusive lock on "<vault>.lock"; a second process
// opening the same vault gets kVaultLocked naming the holder's pid. Not
// thread-safe: use a Vault and its parts from one thread.
//
// Durability: the file is opened in WAL mode with synchronous=FULL and
// psow=0 (handset flash can tear whole sectors). A write method that returns
// OK outside a WriteBatch is durable when it returns; inside a batch, all its
// writes become durable together when WriteBatch::Commit returns OK, and none
// of them survive if it is never committed.
//
// No captured content is ever deleted: deletions on the device become
// tombstones, every distinct content an item had is kept as a revision, and
// the only blobs removed are those never completed. (The Ledger forgets
// acknowledgements, which are records of a server, not the user's data.)
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/file_lock.h"
#include "platform/sha256.h"
#include "platform/status.h"
#include "storage/blob_store.h"

namespace holdfast::storage {

class CaptureState;
class Checkpointer;
class VaultConnection;

enum class ItemKind { kContact, kEvent, kTask, kNote, kPhoto };
inline constexpr ItemKind kAllItemKinds[] = {ItemKind::kContact, ItemKind::kEvent, ItemKind::kTask,
                                             ItemKind::kNote, ItemKind::kPhoto};

// "contact", "event", "task", "note", "photo" (the names stored in the vault).
const char* ItemKindName(ItemKind kind);
std::optional<ItemKind> ParseItemKind(std::string_view name);

struct CollectionInfo {
  int64_t id = 0;
  ItemKind kind = ItemKind::kContact;
  std::string name;    // display name, e.g. "personal"
  std::string source;  // where it came from, e.g. the source name in the config
  int64_t created_at_ms = 0;
};

struct ItemRecord {
  int64_t id = 0;
  int64_t collection_id = 0;
  std::string uid;
  std::string summary;
  platform::Digest sha256{};
  uint64_t size_bytes = 0;
  int64_t head_revision_id = 0;  // the current content: the item's newest revision
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;
  bool deleted = false;  // tombstoned: deleted on the device, restorable
  std::string source_path;  // where in its source it was last seen; may be empty
};

struct RevisionInfo {
  int64_t id = 0;
  int64_t captured_at_ms = 0;
  platform::Digest sha256{};
  uint64_t size_bytes = 0;
  bool in_blob = false;  // content lives in the blob store
};

// What PutItem did.
enum class PutOutcome {
  kUnchanged,  // same bytes as the current content: nothing was written
  kCreated,    // a new item with its first revision
  kChanged,    // a new revision became the current content
  kRestored,   // a tombstoned item came back (with a new revision if it differs)
};

struct KindStats {
  int64_t collections = 0;
  int64_t items = 0;          // live items
  int64_t deleted_items = 0;  // tombstoned
  int64_t revisions = 0;
  int64_t content_bytes = 0;  // size of the current content of live items
};

struct VaultStats {
  KindStats by_kind[std::size(kAllItemKinds)];
  // The same counts per collection (KindStats::collections is 1), keyed by
  // CollectionInfo::id; every collection has an entry, empty ones too.
  std::map<int64_t, KindStats> by_collection;
  int64_t blobs = 0;
  int64_t blob_bytes = 0;
  int64_t file_size_bytes = 0;  // the vault file plus its WAL
};

// One thing `Verify` found wrong.
struct Damage {
  std::string what;    // "item", "revision", "blob", "database"
  std::string where;   // "collection 'personal' uid 'abc' revision 12", "blob 9f86..."
  std::string detail;  // "SHA-256 is 1a2b... but the stored bytes hash to 3c4d..."
};

struct VerifyReport {
  int64_t revisions_checked = 0;
  int64_t blobs_checked = 0;
  int64_t bytes_hashed = 0;
  std::vector<Damage> damage;
  bool ok() const { return damage.empty(); }
};

class Vault;

// A group of writes committed together. Destroying it uncommitted rolls the
// writes back. Only one batch can be open on a vault at a time.
class WriteBatch {
 public:
  WriteBatch(WriteBatch&& other) noexcept;
  WriteBatch& operator=(WriteBatch&&) = delete;
  ~WriteBatch();
  // Makes every write of the batch durable. After an error the batch is rolled back.
  Status Commit();

 private:
  friend class Vault;
  explicit WriteBatch(Vault* vault) : vault_(vault) {}
  Vault* vault_;
};

class Vault {
 public:
  enum class OpenMode { kExisting, kCreate };

  // Opens the vault at `path`. kCreate also makes the folder (0700) and the
  // file (0600) if missing and brings an older schema up to date; kExisting
  // brings an older schema up to date too but never creates a file.
  // Errors: kNotFound (no vault there: run `holdfast init`), kVaultLocked,
  // kNotAVault (some other file), kCorruptVault, kVaultTooNew (written by a
  // newer Holdfast). On every error the file is left as it was.
  static Result<std::unique_ptr<Vault>> Open(const std::filesystem::path& path, OpenMode mode);
  ~Vault();

  const std::filesystem::path& path() const { return path_; }
  const std::string& device_id() const { return device_id_; }
  int64_t created_at_ms() const { return created_at_ms_; }
  int schema_version() const { return schema_version_; }

  Result<WriteBatch> BeginBatch();

  // The vault's blob store (storage/blob_store.h), valid as long as the vault.
  BlobStore& blobs() { return *blobs_; }
  // The vault's record of capture (storage/capture_state.h), valid as long as the vault.
  CaptureState& capture_state() { return *capture_state_; }

  // Returns the collection's id, creating it if (source, name) is new. Idempotent.
  Result<int64_t> EnsureCollection(ItemKind kind, std::string_view name, std::string_view source);
  Result<std::vector<CollectionInfo>> ListCollections();

  // Stores `content` as the current content of (collection_id, uid). Identical
  // bytes are a no-op; different bytes add a revision captured at now_ms; a
  // tombstoned item is restored. Errors: kNotFound for an unknown collection.
  // `source_path`, when not empty, records where the item was seen; a new
  // path alone updates the item without adding a revision.
  Result<PutOutcome> PutItem(int64_t collection_id, std::string_view uid, std::string_view content,
                             std::string_view summary, int64_t now_ms,
                             std::string_view source_path = {});
  // PutItem for a caller that already computed sha256 = SHA-256(content).
  Result<PutOutcome> PutItemHashed(int64_t collection_id, std::string_view uid,
                                   std::string_view content, const platform::Digest& sha256,
                                   std::string_view summary, int64_t now_ms,
                                   std::string_view source_path);
  // The same for content already in the blob store (photos).
  Result<PutOutcome> PutItemBlob(int64_t collection_id, std::string_view uid, const BlobRef& blob,
                                 std::string_view summary, int64_t now_ms,
                                 std::string_view source_path = {});
  // Gives an item a new uid and source path, keeping its revisions (a file
  // moved on the device). kNotFound if absent, kAlreadyExists if taken.
  Status RenameItem(int64_t collection_id, std::string_view old_uid, std::string_view new_uid,
                    std::string_view new_source_path);
  // Those of `uids` that are live items of the collection last seen at
  // `source_path` (one index lookup each).
  Result<std::vector<std::string>> LiveAtPath(int64_t collection_id, std::string_view source_path,
                                              const std::vector<std::string>& uids);
  Result<int64_t> CountLiveItems(int64_t collection_id);
  // Where the live item `uid` of the collection was last seen: its source
  // path ("" if none was recorded), or nullopt when there is no such live item.
  Result<std::optional<std::string>> LivePathOf(int64_t collection_id, std::string_view uid);

  // Records that the item was deleted on the device at now_ms. Returns false
  // (and writes nothing) if there is no such live item.
  Result<bool> TombstoneItem(int64_t collection_id, std::string_view uid, int64_t now_ms);

  Result<std::optional<ItemRecord>> FindItem(int64_t collection_id, std::string_view uid);
  // Every item of a collection, live and tombstoned, ordered by uid.
  Result<std::vector<ItemRecord>> ListItems(int64_t collection_id);
  // The same items, in the same order, one at a time: `visit` gets each row
  // as it is read from one statement, so memory stays one item whatever the
  // collection's size. `visit` may read the vault (any method that does not
  // write); an error from it stops the walk and is returned. Errors: those
  // of SQLite, and `visit`'s.
  Status ForEachItem(int64_t collection_id, const std::function<Status(ItemRecord&&)>& visit);
  // Every revision of an item, oldest first.
  Result<std::vector<RevisionInfo>> ListRevisions(int64_t collection_id, std::string_view uid);
  // The revision that was current at time_ms, or nullopt if the item did not
  // exist then or was deleted on the device at that moment.
  Result<std::optional<RevisionInfo>> RevisionAsOf(int64_t collection_id, std::string_view uid,
                                                   int64_t time_ms);
  // Streams a revision's content to `sink` (inline bytes or blob chunks).
  Status ReadRevision(int64_t revision_id, const ByteSink& sink);
  // A revision's content in memory; kInvalidArgument if larger than max_size_bytes.
  Result<std::string> ReadRevisionBytes(int64_t revision_id, uint64_t max_size_bytes);
  // Streams up to max_bytes of a revision's content from byte `offset` on,
  // whether it is held inline or in the blob store (a resumed upload of a
  // large contact sends its inline bytes as a blob). Memory use: at most
  // max_bytes for inline content, one chunk for a blob. Errors: kNotFound
  // (no such revision), kInvalidArgument (offset past the end), those of
  // BlobStore::ReadBlobRange.
  Status ReadRevisionRange(int64_t revision_id, uint64_t offset, uint64_t max_bytes, const ByteSink& sink);

  Result<VaultStats> Stats();

  // Runs SQLite's integrity check, looks for rows whose parent is missing,
  // then recomputes the SHA-256 of every revision and every blob and compares
  // it with the recorded one. Damage is
  // reported in the result, not as an error; an error means verify could not run.
  Result<VerifyReport> Verify();

 private:
  friend class WriteBatch;
  friend class Ledger;  // a view sharing conn_
  Vault(std::filesystem::path path, platform::FileLock lock, std::unique_ptr<VaultConnection> conn);
  Status LoadMeta();
  Result<PutOutcome> PutContent(int64_t collection_id, std::string_view uid,
                                const platform::Digest& sha256, uint64_t size_bytes,
                                std::string_view inline_content, std::optional<int64_t> blob_id,
                                std::string_view summary, int64_t now_ms,
                                std::string_view source_path);
  Status InTransaction(const std::function<Status()>& body);
  void VerifyBlobs(VerifyReport* report);
  void VerifyReferences(VerifyReport* report);
  void VerifyRevisions(VerifyReport* report);

  std::filesystem::path path_;
  platform::FileLock lock_;
  std::unique_ptr<VaultConnection> conn_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<CaptureState> capture_state_;
  std::unique_ptr<Checkpointer> checkpointer_;  // stopped before conn_ closes
  std::string device_id_;
  int64_t created_at_ms_ = 0;
  int schema_version_ = 0;
};

}  // namespace holdfast::storage
