#include "tests/support/inventory.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include "platform/sha256.h"
#include "platform/wire_text.h"
#include "storage/sqlite_handle.h"
#include "storage/vault.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace holdfast::testing {

namespace fs = std::filesystem;

std::map<std::string, std::string> TreeBytes(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files[fs::relative(entry.path(), root).string()] = ReadFileBytes(entry.path());
  }
  return files;
}

Inventory VaultInventory(const std::string& vault_path) {
  std::unique_ptr<storage::Vault> vault = *storage::Vault::Open(vault_path, storage::Vault::OpenMode::kExisting);
  Inventory inventory;
  for (const storage::CollectionInfo& c : *vault->ListCollections()) {
    std::vector<std::pair<std::string, std::string>> live;
    for (const storage::ItemRecord& item : *vault->ListItems(c.id)) {
      // The server holds the uid in its wire form (docs/protocol.md).
      if (!item.deleted) live.emplace_back(platform::ToWireText(item.uid), platform::ToHex(item.sha256));
    }
    if (live.empty()) continue;
    std::sort(live.begin(), live.end());
    platform::Sha256 hasher;
    for (const auto& [uid, sha] : live) {
      hasher.Update(uid);
      hasher.Update(std::string_view("\0", 1));
      hasher.Update(sha);
      hasher.Update("\n");
    }
    inventory[RemoteCollectionIdOf(c.source, c.name)] =
        std::to_string(live.size()) + " " + platform::ToHex(hasher.Finish());
  }
  return inventory;
}

Inventory ServerInventory(const std::string& data_dir, const std::string& account) {
  ProcessResult listed = RunProcess({ServerBinary(), "inventory", "--data", data_dir, "--account", account});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  Inventory inventory;
  std::istringstream lines(listed.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("  ", 0) != 0) continue;
    std::istringstream fields(line);
    std::string id, kind, name, items, word, label, digest;
    fields >> id >> kind >> name >> items >> word >> label >> digest;
    if (items != "0") inventory[id] = items + " " + digest;
  }
  return inventory;
}

std::string RemoteCollectionIdOf(const std::string& source, const std::string& name) {
  platform::Sha256 id;
  id.Update(source);
  id.Update(std::string_view("\0", 1));
  id.Update(name);
  return platform::ToHex(id.Finish()).substr(0, 32);
}

ItemShas VaultLiveItems(const std::string& vault_path) {
  Result<std::unique_ptr<storage::Vault>> vault = storage::Vault::Open(vault_path, storage::Vault::OpenMode::kExisting);
  REQUIRE_MESSAGE(vault.has_value(), vault.error().ToString());
  ItemShas items;
  for (const storage::CollectionInfo& c : *(*vault)->ListCollections()) {
    const std::string id = RemoteCollectionIdOf(c.source, c.name);
    for (const storage::ItemRecord& item : *(*vault)->ListItems(c.id)) {
      if (!item.deleted) items[{id, item.uid}] = platform::ToHex(item.sha256);
    }
  }
  return items;
}

std::unique_ptr<storage::Db> OpenSqliteForReading(const std::string& path) {
  Result<std::unique_ptr<storage::Db>> db = storage::Db::Open("file:" + path + "?mode=ro", SQLITE_OPEN_READONLY);
  REQUIRE_MESSAGE(db.has_value(), path << ": " << db.error().ToString());
  sqlite3_busy_timeout((*db)->get(), 10000);
  return std::move(*db);
}

ItemShas ServerItems(const std::string& data_dir, const std::string& account) {
  std::unique_ptr<storage::Db> db = OpenSqliteForReading(data_dir + "/server.db");
  Result<storage::Stmt> stmt = db->Prepare("SELECT collection, uid, lower(sha256) FROM items WHERE account = ?");
  REQUIRE(stmt.has_value());
  stmt->Bind(1, std::string_view(account));
  ItemShas items;
  while (true) {
    Result<bool> row = stmt->Step();
    REQUIRE_MESSAGE(row.has_value(), row.error().ToString());
    if (!*row) break;
    items[{stmt->Text(0), stmt->Text(1)}] = stmt->Text(2);
  }
  return items;
}

std::map<ItemKey, LedgerRow> VaultLedger(const std::string& vault_path, const std::string& remote) {
  std::unique_ptr<storage::Db> db = OpenSqliteForReading(vault_path);
  Result<storage::Stmt> stmt = db->Prepare(
      "SELECT c.source, c.name, i.uid, lower(hex(l.sha256)), l.acked_at_ms, "
      "EXISTS(SELECT 1 FROM tombstones t WHERE t.item_id = i.id AND t.restored_at_ms IS NULL) "
      "FROM ledger l JOIN items i ON i.id = l.item_id JOIN collections c ON c.id = i.collection_id "
      "WHERE l.remote = ?");
  REQUIRE(stmt.has_value());
  stmt->Bind(1, std::string_view(remote));
  std::map<ItemKey, LedgerRow> ledger;
  while (true) {
    Result<bool> row = stmt->Step();
    REQUIRE_MESSAGE(row.has_value(), row.error().ToString());
    if (!*row) break;
    LedgerRow& entry = ledger[{RemoteCollectionIdOf(stmt->Text(0), stmt->Text(1)), stmt->Text(2)}];
    entry.sha256 = stmt->Text(3);
    entry.acked_at_ms = stmt->Int(4);
    entry.item_deleted = stmt->Int(5) != 0;
  }
  return ledger;
}

}  // namespace holdfast::testing
