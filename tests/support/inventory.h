// Test support: what a folder tree, a vault and the reference server hold,
// in forms a test compares with ==.
#pragma once

#include <filesystem>
#include <map>
#include <string>

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

}  // namespace holdfast::testing
