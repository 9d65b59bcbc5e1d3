#include "tests/support/inventory.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include "platform/sha256.h"
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
      if (!item.deleted) live.emplace_back(item.uid, platform::ToHex(item.sha256));
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
    // The collection id: SHA-256(source, NUL, name), first 32 hex digits.
    platform::Sha256 id;
    id.Update(c.source);
    id.Update(std::string_view("\0", 1));
    id.Update(c.name);
    inventory[platform::ToHex(id.Finish()).substr(0, 32)] =
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

}  // namespace holdfast::testing
