// Test support: the checks a crash campaign runs after each kill and after
// the interrupted work completes. Each returns what it found wrong, one line
// per problem (empty: all good), rather than failing the test itself, so
// that a negative control can show the same code catching a real fault.
//
// The checks read the real files (the vault, the server's store, export
// targets) and compute what they compare independently of the agent where
// they can: SHA-256 here, tar and sha256sum for archives.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/inventory.h"

namespace holdfast::testing {

using Problems = std::vector<std::string>;

// The problems, one per line, for a test message.
std::string Describe(const Problems& problems);

// `holdfast verify` exits 0 on the vault, and SQLite's integrity_check
// answers "ok" (read-only).
Problems VaultVerifies(const std::string& vault_path);

// Every acknowledged content (item and SHA-256) is still among that item's
// revisions in the vault (it may have newer ones, or be deleted since).
Problems MissingRevisions(const std::string& vault_path, const ItemShas& acknowledged);

// Every ledger row of `remote` acknowledged at or after `since_ms`, of an
// item that is still live, is on the server with that SHA-256 (or with the
// item's current content, which a push killed before it recorded the
// server's answer leaves): the ledger never claims what the server lacks. (Rows older than a loss the
// test caused on purpose are no claim about the server that lost them.)
Problems LedgerNotOnServer(const std::string& vault_path, const std::string& remote, const std::string& data_dir,
                           int64_t since_ms);

// The ledger kept what it held `before`: each row is still there, with the
// same SHA-256 or the item's current content (acknowledged since).
Problems LedgerRowsLost(const std::map<ItemKey, LedgerRow>& before, const std::map<ItemKey, LedgerRow>& after,
                        const ItemShas& live);

// The ledger says the server holds every live item with its current content.
Problems LedgerIncomplete(const std::string& vault_path, const std::string& remote);

// The server holds exactly the vault's live items, by uid and SHA-256 (no
// item missing, extra or doubled), the inventories (`holdfast-server
// inventory`: counts and digests) agree, and every photo's blob is whole.
Problems ServerMatchesVault(const std::string& vault_path, const std::string& data_dir);

// An export archive checked with plain tar and sha256sum: its fingerprint
// is SHA256SUMS (one "sha  path" line per item, sorted). A missing,
// truncated or inconsistent archive adds a problem and returns "".
std::string ArchiveFingerprint(const std::filesystem::path& archive, Problems* problems);

// The SHA-256 of a folder tree: sorted "sha  path" of every regular file.
// A missing folder adds a problem and returns "".
std::string TreeFingerprint(const std::filesystem::path& root, Problems* problems);

// The content SHA-256s listed by an archive fingerprint, sorted, and the
// vault's live items' SHA-256s, sorted: equal when the archive holds the
// vault's live content.
std::vector<std::string> FingerprintShas(const std::string& fingerprint);
std::vector<std::string> LiveShas(const ItemShas& live);

// Temp and staging names anywhere under `folder`: ".holdfast-*" (platform/
// temp_name.h) and "<name>.tmp-<pid>" (WriteFileAtomically's older names).
Problems Leftovers(const std::filesystem::path& folder);

}  // namespace holdfast::testing
