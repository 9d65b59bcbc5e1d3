// The reference server's storage: accounts, collections, items and blobs of
// every device, in one SQLite file (WAL, synchronous=FULL: a write the server
// acknowledged survives a power cut).
//
// Thread-safety: every method locks one mutex; the HTTP threads share one
// store. Operator commands (wipe, request-reupload) open the same file from
// another process; SQLite's locking (with a busy timeout) keeps them apart.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "platform/sha256.h"
#include "platform/status.h"

namespace holdfast::storage {
class Db;
}

namespace holdfast::server {

struct Reupload {
  std::string id;
  int64_t requested_at_ms = 0;
  int64_t not_before_ms = 0;
  int64_t spread_ms = 0;
};

struct CollectionState {
  std::string id;
  std::string kind;
  std::string name;
  int64_t items = 0;
  std::string digest;  // hex, see docs/protocol.md
};

struct AccountState {
  std::string epoch;
  std::vector<CollectionState> collections;
  std::optional<Reupload> reupload;
};

struct BlobState {
  uint64_t size_bytes = 0;
  uint64_t received_bytes = 0;
  bool complete = false;
};

// What an account holds: inline item bytes plus blob bytes received, and items.
struct AccountUsage {
  uint64_t bytes = 0;
  uint64_t items = 0;
};

enum class PutResult { kStored, kUnchanged, kMissingBlob };

// One put of a batch whose uid and sha256 the caller checked, and whose
// inline content it hashed.
struct BatchPut {
  std::string uid;
  std::string sha256_hex;
  bool blob = false;         // the content is the account's complete blob sha256_hex
  std::string_view content;  // inline content when !blob (not owned)
  bool keep = true;          // false: answered kStored without being written (the drop fault)
};

struct InventoryEntry {
  std::string uid;
  std::string sha256_hex;
};

class ServerStore {
 public:
  static Result<std::unique_ptr<ServerStore>> Open(const std::filesystem::path& data_dir);
  ~ServerStore();

  // Operator: creates an account and returns its token (only its SHA-256 is kept).
  Result<std::string> AddAccount(const std::string& account);
  // The account a token belongs to; kNotFound for an unknown token.
  Result<std::string> AccountForToken(const std::string& token);
  // Whether `token` is the account's: its SHA-256 compared with the stored
  // one in constant time (false for an unknown account).
  Result<bool> TokenMatches(const std::string& account, const std::string& token);
  // Operator: deletes every collection, item and blob of the account (all
  // accounts when empty) and gives it a new epoch.
  Status Wipe(const std::string& account);
  // Operator: asks the account's devices (every account's when empty) to
  // upload everything again, each at its slot in [not_before_ms,
  // not_before_ms + spread_ms) (docs/recovery.md); replaces an earlier
  // request. Returns the number of accounts asked; kNotFound for an unknown
  // account, kInvalidArgument when not_before_ms is before now_ms.
  Result<int64_t> RequestReupload(const std::string& account, int64_t now_ms, int64_t not_before_ms,
                                  int64_t spread_ms);
  Result<std::vector<std::string>> ListAccounts();
  // Operator and tests: what is inconsistent in the store, one line each;
  // empty when all is well. Checks SQLite's integrity_check; each account's
  // usage row against the sum of its items and blobs; every inline item's
  // content against its SHA-256; every blob item's blob (present, complete,
  // of its SHA-256); every blob's chunks (contiguous from 0, adding up to
  // what it received; a complete one of its size and SHA-256). Reads the
  // whole store: O(bytes held).
  Result<std::vector<std::string>> Verify();

  Result<AccountState> State(const std::string& account);
  Result<CollectionState> PutCollection(const std::string& account, const std::string& id, const std::string& kind,
                                        const std::string& name);
  // kAlreadyExists (nothing changed) if the collection exists with another
  // kind: a kind never changes. The same kind again is idempotent.
  // kNotFound if the collection does not exist.
  Status CheckCollection(const std::string& account, const std::string& id);

  // Stores a batch in one transaction: its puts in order, then its deletes.
  // Each put is checked before anything of it is written (a blob put whose
  // blob is not complete is kMissingBlob and writes nothing), so a refused
  // put never takes the others down. Any store error rolls the whole batch
  // back and is returned: then nothing of it is stored, and a crash before
  // the COMMIT leaves nothing of it either (all or nothing, never a part).
  // Idempotent: the same batch again answers kUnchanged for what it stored.
  Result<std::vector<PutResult>> ApplyBatch(const std::string& account, const std::string& collection,
                                            const std::vector<BatchPut>& puts,
                                            const std::vector<std::string>& deletes);
  // Removes one item (in its own transaction); not there is not an error.
  Status DeleteItem(const std::string& account, const std::string& collection, const std::string& uid);
  // A page of the inventory: uids after `after`, at most `limit`.
  Result<std::vector<InventoryEntry>> Inventory(const std::string& account, const std::string& collection,
                                                const std::string& after, int limit);
  // An item's content; kNotFound if absent.
  Result<std::string> ItemContent(const std::string& account, const std::string& collection, const std::string& uid,
                                  std::string* sha256_hex);

  // What the account would hold after storing `puts` (uid, inline bytes;
  // 0 for a blob item) in `collection`: an item replaced counts its new size
  // instead of its old one. Reads the account's usage row (kept by triggers,
  // see server_store.cc) and one item per put: O(puts), not O(account).
  Result<AccountUsage> UsageAfter(const std::string& account, const std::string& collection,
                                  const std::vector<std::pair<std::string, uint64_t>>& puts);

  Result<std::optional<BlobState>> Blob(const std::string& account, const std::string& sha256_hex);
  // Appends a chunk at `offset` of a blob of `size_bytes`. kAlreadyExists
  // with the held offset in *held when offset does not match; kDamageFound
  // when the completed blob does not hash to sha256 (discarded). The hash is
  // kept running over the chunks as they arrive (see RunningHash), so the
  // last chunk does not read the whole blob back.
  Result<BlobState> PutBlobChunk(const std::string& account, const std::string& sha256_hex, uint64_t offset,
                                 uint64_t size_bytes, std::string_view bytes, uint64_t* held);

 private:
  explicit ServerStore(std::unique_ptr<storage::Db> db);
  Status NewEpoch(const std::string& account);
  // One put of ApplyBatch (the caller holds mutex_ and the transaction).
  Result<PutResult> PutLocked(const std::string& account, const std::string& collection, const BatchPut& put);
  Result<std::string> Digest(const std::string& account, const std::string& collection, int64_t* count);
  // A blob's stored chunks in order (the caller holds mutex_).
  Status ForEachChunk(const std::string& account, const std::string& sha256_hex,
                      const std::function<void(std::string_view)>& visit);

  // A blob being received, hashed as its chunks arrive: the SHA-256 of its
  // first hashed_bytes bytes (the chunks this process stored, from offset
  // 0). Memory only: after a restart, or past kMaxRunningHashes blobs, or
  // after any error, a blob is hashed by reading its chunks back instead.
  struct RunningHash {
    uint64_t hashed_bytes = 0;
    platform::Sha256 hasher;
  };
  static constexpr size_t kMaxRunningHashes = 1024;

  std::mutex mutex_;
  std::unique_ptr<storage::Db> db_;
  std::map<std::pair<std::string, std::string>, RunningHash> running_hashes_;  // by (account, sha256)
};

}  // namespace holdfast::server
