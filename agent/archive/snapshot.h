// What the vault held at one moment, collection by collection: the view that
// export and restore-device write out.
//
// A snapshot is read, never written. "Now" means every live item with its
// current content; "as of T" means every item that existed and was not
// deleted on the device at T, with the revision that was current then
// (Vault::RevisionAsOf), so deleted items and older contents come back.
//
// Each item also gets a file name inside its source (SnapshotItem::path):
// where capture last saw it when that name is its own (or, with
// keep_shared_files, shared with other items); otherwise a name made from its
// uid (items that shared one file, or came from a single export file). Thread-safety: one thread, like the Vault it reads.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "platform/status.h"
#include "storage/vault.h"

namespace holdfast::agent {

struct SnapshotFilter {
  std::optional<std::string> collection;  // by name
  std::optional<storage::ItemKind> kind;
  std::optional<std::string> source;  // by source name
  std::optional<int64_t> as_of_ms;    // the vault as it was then; now if unset
  // Items that shared one file on the device keep that file's path (several
  // items with one path, SnapshotItem::shares_file set), as restore-device
  // writes them back into one file; otherwise each gets a file of its own.
  bool keep_shared_files = false;
};

struct SnapshotItem {
  storage::ItemRecord item;
  storage::RevisionInfo revision;  // the content to write
  std::string path;                // relative to the source's root, '/'-separated
  bool shares_file = false;        // keep_shared_files: other items have this path too
};

// The items of one collection in a snapshot, read from the vault while they
// are visited, in uid order, with their paths (SnapshotItem::path).
//
// Memory: one item at a time, plus what naming needs: 8 bytes per item of
// the collection while it is opened (a hash of each item's source path, to
// find paths that several items share; freed before the first item is
// visited unless some item is named from its uid), the paths that several
// items share, and the names made from uids. A collection whose items each
// have a file of their own therefore costs no more than an empty one.
//
// Visit may be called more than once (each walk reads the vault again, and
// gives the same items, paths and order); the vault must not be written
// meanwhile (a caller that writes holds a WriteBatch around the walk).
class SnapshotItems {
 public:
  // Reads what naming needs (see above). Errors: those of the vault.
  static Result<SnapshotItems> Open(storage::Vault& vault, const storage::CollectionInfo& collection,
                                    const SnapshotFilter& filter);

  // Calls `visit` with each item; an error from it stops the walk and is returned.
  Status Visit(const std::function<Status(const SnapshotItem&)>& visit);

  // Whether some item has SnapshotItem::shares_file set.
  bool any_shares_file() const { return !shared_paths_.empty() && filter_.keep_shared_files; }

 private:
  SnapshotItems(storage::Vault& vault, const storage::CollectionInfo& collection, const SnapshotFilter& filter)
      : vault_(&vault), collection_(collection), filter_(filter) {}
  // Calls `visit` with each item of the snapshot and its revision; path unset.
  Status VisitChosen(const std::function<Status(SnapshotItem&&)>& visit);
  // Whether `path` is an item's own path that it keeps (SnapshotItem::path).
  Result<bool> KeptByItsOwner(const std::string& path);

  storage::Vault* vault_;
  storage::CollectionInfo collection_;
  SnapshotFilter filter_;
  std::set<std::string> shared_paths_;   // plain paths of more than one item
  std::vector<uint64_t> own_path_hashes_;  // sorted; kept only while uid names are made
  std::set<std::string> uid_names_;      // paths made from uids in the last walk
};

// Calls `visit` once per collection that passes the filter, with its items
// (read as they are visited). Collections with no item at that moment are
// visited too (with none), so an empty address book is still exported as
// one. An error from `visit` stops the walk and is returned.
Status ForEachSnapshotCollection(
    storage::Vault& vault, const SnapshotFilter& filter,
    const std::function<Status(const storage::CollectionInfo&, SnapshotItems&)>& visit);

// The same, with each collection's items gathered in memory first: for
// callers that need them all at once.
Status ForEachSnapshotCollection(
    storage::Vault& vault, const SnapshotFilter& filter,
    const std::function<Status(const storage::CollectionInfo&, std::vector<SnapshotItem>&&)>& visit);

// "collection 'personal' item 'abc'", for messages.
std::string DescribeItem(const storage::CollectionInfo& collection, const SnapshotItem& item);

// Streams an item's content to `sink`, hashing it on the way. Bytes that no
// longer match the recorded SHA-256 give kDamageFound (after they were
// handed to `sink`: callers write to temp files they then discard).
Status StreamSnapshotItem(storage::Vault& vault, const storage::CollectionInfo& collection,
                          const SnapshotItem& item, const storage::ByteSink& sink);

// "vcf", "ics", or "" for photos (they keep their own names).
const char* FileExtensionFor(storage::ItemKind kind);

// Accepts "contact"/"contacts", "event"/"events"/"calendar", "task"/"tasks",
// "note"/"notes", "photo"/"photos".
std::optional<storage::ItemKind> ParseKindWord(std::string_view word);

// A name made safe as one path component: characters other than letters,
// digits, '.', '-', '_' and '@' become '_'; a name that is empty, starts
// with '.', or is over 100 bytes is replaced by the first 32 hex digits of
// its SHA-256 (with the same prefix kept readable where possible).
// Many names map to one (SafeFileName("a b") == SafeFileName("a_b")): use
// DistinctFileName where two names must stay apart.
std::string SafeFileName(std::string_view name);

// A safe path component, one-to-one: `name` itself where SafeFileName keeps
// it, else the first 40 characters of its safe form, '~' and 16 hex digits of
// SHA-256(name) ('~' is never in a kept name). docs/formats.md, "File names".
std::string DistinctFileName(std::string_view name);

}  // namespace holdfast::agent
