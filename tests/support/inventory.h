// Test support: what a folder tree, a vault and the reference server hold,
// in forms a test compares with ==.
#pragma once

#include <filesystem>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

namespace holdfast::storage {
class Db;
}

namespace holdfast::testing {

// Every regular file under `root`, by '/'-separated path relative to it, with its bytes.
std::map<std::string, std::string> TreeBytes(const std::filesystem::path& root);

// Per remote collection id (agent::RemoteCollectionId): "<items> <digest>",
// the digest as docs/protocol.md defines it, computed here independently of
// the agent's code. Empty collections are left out on both sides.
using Inventory = std::map<std::string, std::string>;
Inventory VaultInventory(const std::string& vault_path);
// From `holdfast-server inventory` of account "phone" in `data_dir`.
Inventory ServerInventory(const std::string& data_dir, const std::string& account = "phone");

// Opens an SQLite file read-only while its owner (a vault's writer, a
// running server) may be writing to it; waits up to 10 s for a lock.
std::unique_ptr<storage::Db> OpenSqliteForReading(const std::string& path);

// The remote collection id of a vault collection: SHA-256(source, NUL, name),
// first 32 hex digits (docs/protocol.md), computed here, not by the agent.
std::string RemoteCollectionIdOf(const std::string& source, const std::string& name);

// Items one per (remote collection id, uid), with their SHA-256 in hex.
using ItemKey = std::pair<std::string, std::string>;
using ItemShas = std::map<ItemKey, std::string>;
// The vault's live (not deleted) items and their current content.
ItemShas VaultLiveItems(const std::string& vault_path);
// Every item the server's store holds for `account`, read from its SQLite
// file (read-only; the server may be running).
ItemShas ServerItems(const std::string& data_dir, const std::string& account = "phone");

// One ledger row of the vault: an item the remote acknowledged holding.
struct LedgerRow {
  std::string sha256;  // hex
  int64_t acked_at_ms = 0;
  bool item_deleted = false;  // tombstoned in the vault since
};
// The vault's ledger for `remote`, read with SQL from the vault file.
std::map<ItemKey, LedgerRow> VaultLedger(const std::string& vault_path, const std::string& remote);

}  // namespace holdfast::testing
