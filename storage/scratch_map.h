// A scratch map: text keys to text values, each with a mark, kept in a
// private temporary SQLite database on disk (deleted when the map is
// closed), so that a work list with one entry per item costs a bounded page
// cache instead of memory that grows with the vault. For comparisons such
// as a read-back of a server's inventory against the vault's items.
//
// Ownership: the map owns its database; nothing outside it can open it.
// Not thread-safe: use it from one thread.
//
// Durability: none, by design: its contents are gone when it is closed or
// the process ends. Errors: kNoSpace when the temporary folder is full,
// kIoError, kInternal.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "platform/status.h"

namespace holdfast::storage {

class Db;

class ScratchMap {
 public:
  // An empty map in a new temporary file (SQLite's temporary folder: $SQLITE_TMPDIR, else $TMPDIR, else /var/tmp
  // or /tmp), with a page cache of about 1 MiB.
  static Result<std::unique_ptr<ScratchMap>> Open();
  ~ScratchMap();
  ScratchMap(const ScratchMap&) = delete;
  ScratchMap& operator=(const ScratchMap&) = delete;

  // Removes every entry.
  Status Clear();
  // Sets `key` to `value`, unmarked; replaces an entry of the same key.
  Status Put(std::string_view key, std::string_view value);
  // The value of `key`, and the entry removed; nullopt if there is none.
  Result<std::optional<std::string>> Take(std::string_view key);
  // Marks the entry of `key`, if there is one.
  Status Mark(std::string_view key);
  // Calls `visit` for each entry in bytewise key order. `visit` must not
  // change the map.
  Status ForEach(const std::function<Status(std::string_view key, std::string_view value, bool marked)>& visit);

 private:
  explicit ScratchMap(std::unique_ptr<Db> db);
  std::unique_ptr<Db> db_;
};

}  // namespace holdfast::storage
