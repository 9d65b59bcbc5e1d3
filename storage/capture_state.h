// The vault's record of capture itself: the stat cache of each source (what
// each file was like when last read, and which items it held), the "source
// loss suspected" alerts, and the files the last capture could not read.
// The items and revisions capture writes are the Vault's (storage/vault.h).
//
// Ownership: a Vault owns its CaptureState (Vault::capture_state()), which
// writes through the vault's one connection and lives as long as the vault.
// Not thread-safe: use it from the vault's thread.
//
// Durability: the vault's. A write that returns OK outside a WriteBatch is
// durable when it returns; inside a batch it becomes durable when the batch
// commits, together with the items it describes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/sha256.h"
#include "platform/status.h"

namespace holdfast::storage {

class Vault;
class VaultConnection;

// The stat cache entry of one file of a source, as it was when last read.
struct SourceFileRecord {
  std::string path;  // relative to the source's root ("" when the source is one file)
  int64_t collection_id = 0;
  uint64_t size_bytes = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  platform::Digest sha256{};  // of the whole file
  // The items read from it, in file order. Written by PutSourceFile; left
  // empty by ForEachSourceFile (see SourceFileItemUids).
  std::vector<std::string> item_uids;
};

// A collection where capture suspects a loss on the device ("source loss
// suspected") and records no deletions until the user accepts them.
struct LossAlert {
  int64_t collection_id = 0;
  int64_t raised_at_ms = 0;
  int64_t items_before = 0;   // live items before the scan
  int64_t items_missing = 0;  // of those, how many the scan did not find
};

// A file the last capture of a source could not read.
struct CaptureProblem {
  std::string source;
  std::string path;
  int line = 0;  // 0 when not about a line
  std::string reason;
  int64_t seen_at_ms = 0;
};

class CaptureState {
 public:
  CaptureState(const CaptureState&) = delete;
  CaptureState& operator=(const CaptureState&) = delete;

  // The stat cache of a source (see SourceFileRecord). Put replaces the entry
  // for the same path. Idempotent.
  // Calls `visit` for each entry of the source's cache, streaming (a source
  // may have 100,000 files), in path order: the paths' bytes compared as
  // unsigned (as std::string's operator< does). An error from `visit` stops
  // and is returned.
  Status ForEachSourceFile(std::string_view source,
                           const std::function<Status(SourceFileRecord&&)>& visit);
  Status PutSourceFile(std::string_view source, const SourceFileRecord& file);
  // One entry of the cache (item_uids left empty, as ForEachSourceFile), or
  // nullopt when the path has none. One index lookup.
  Result<std::optional<SourceFileRecord>> GetSourceFile(std::string_view source, std::string_view path);
  // The item uids recorded for one file of the cache; empty if it is not there.
  Result<std::vector<std::string>> SourceFileItemUids(std::string_view source, std::string_view path);
  Status RemoveSourceFile(std::string_view source, std::string_view path);

  // "Source loss suspected" marks, at most one per collection. Raising it
  // again updates the counts and keeps the time it was first raised.
  Status RaiseLossAlert(const LossAlert& alert);
  Status ClearLossAlert(int64_t collection_id);
  // Clears the alerts of these collections (a restore put them back);
  // returns how many there were.
  Result<int64_t> ClearLossAlerts(const std::vector<int64_t>& collection_ids);
  Result<std::vector<LossAlert>> ListLossAlerts();

  // Replaces the problems recorded for `source` by the given list.
  Status ReplaceCaptureProblems(std::string_view source, const std::vector<CaptureProblem>& problems);
  Result<std::vector<CaptureProblem>> ListCaptureProblems();

 private:
  friend class Vault;
  explicit CaptureState(VaultConnection& conn) : conn_(conn) {}

  VaultConnection& conn_;
};

}  // namespace holdfast::storage
