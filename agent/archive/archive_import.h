// Import: an export archive (agent/archive/archive_format.h) back into a vault, for
// a phone that was reset and lost its vault while the archive survived.
//
// Two passes over the archive. The first reads every member, hashes it and
// checks it against the manifest (and SHA256SUMS against the manifest); a
// truncated, tampered or foreign archive is refused there, before anything is
// written. The second imports, in batches, re-checking each member's hash.
//
// What an import does to an item (by collection and uid):
//   not in the vault                      created, with the archive's capture time
//   same bytes in the vault               nothing (importing twice changes nothing)
//   different bytes, archive newer        a new revision (the vault keeps the old one)
//   different bytes or deleted, vault newer   the vault's state is kept ("kept")
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "platform/status.h"
#include "storage/vault.h"

namespace holdfast::agent {

struct ImportReport {
  int64_t members_checked = 0;
  int64_t collections = 0;
  int64_t items_new = 0;
  int64_t items_updated = 0;
  int64_t items_unchanged = 0;
  int64_t items_kept = 0;  // the vault's newer content or deletion was kept
  int64_t bytes = 0;
};

// Errors: kNotFound (no such file), kMalformedInput (not a Holdfast archive,
// truncated, a member missing, extra or differing from the manifest:
// nothing imported), kAlreadyExists (a collection of the same source and
// name holds another kind), vault errors (kNoSpace, kIoError).
// `open_vault` is called once the archive has passed the first pass, so
// that a refused archive does not even create a vault.
// An encrypted archive (platform/secret_stream.h) needs `passphrase`: a
// wrong one, a changed byte or a file cut short is kMalformedInput with
// nothing imported; without one it is kInvalidArgument. A passphrase for a
// plain archive is kInvalidArgument too.
Result<ImportReport> ImportArchive(const std::filesystem::path& archive, const std::string& passphrase,
                                   const std::function<Result<storage::Vault*>()>& open_vault);
// The same without a passphrase (plain archives).
Result<ImportReport> ImportArchive(const std::filesystem::path& archive,
                                   const std::function<Result<storage::Vault*>()>& open_vault);

}  // namespace holdfast::agent
