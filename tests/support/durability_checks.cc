#include "tests/support/durability_checks.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "agent/exit_codes.h"
#include "platform/sha256.h"
#include "storage/sqlite_handle.h"
#include "storage/vault.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace holdfast::testing {

namespace fs = std::filesystem;
using agent::kExitOk;

namespace {

std::string Short(const ItemKey& key) { return key.first.substr(0, 8) + "/" + key.second; }

// Runs one query that returns a single text value.
std::string QueryText(storage::Db& db, const std::string& sql, const std::string& bind = "") {
  Result<storage::Stmt> stmt = db.Prepare(sql);
  REQUIRE_MESSAGE(stmt.has_value(), stmt.error().ToString());
  if (!bind.empty()) stmt->Bind(1, std::string_view(bind));
  Result<bool> row = stmt->Step();
  REQUIRE_MESSAGE(row.has_value(), row.error().ToString());
  return *row ? stmt->Text(0) : "";
}

}  // namespace

std::string Describe(const Problems& problems) {
  std::string text;
  for (size_t i = 0; i < problems.size() && i < 20; ++i) text += problems[i] + "\n";
  if (problems.size() > 20) text += "... and " + std::to_string(problems.size() - 20) + " more\n";
  return text;
}

Problems VaultVerifies(const std::string& vault_path) {
  Problems problems;
  ProcessResult verify = RunProcess({HoldfastBinary(), "--vault", vault_path, "verify"});
  if (verify.exit_code != kExitOk) {
    problems.push_back("holdfast verify exited " + std::to_string(verify.exit_code) + ": " + verify.out + verify.err);
  }
  std::unique_ptr<storage::Db> db = OpenSqliteForReading(vault_path);
  const std::string integrity = QueryText(*db, "PRAGMA integrity_check");
  if (integrity != "ok") problems.push_back("SQLite integrity_check: " + integrity);
  return problems;
}

Problems MissingRevisions(const std::string& vault_path, const ItemShas& acknowledged) {
  Problems problems;
  Result<std::unique_ptr<storage::Vault>> vault = storage::Vault::Open(vault_path, storage::Vault::OpenMode::kExisting);
  if (!vault) return {"the vault does not open: " + vault.error().ToString()};
  std::map<std::string, int64_t> collections;
  for (const storage::CollectionInfo& c : *(*vault)->ListCollections()) {
    collections[RemoteCollectionIdOf(c.source, c.name)] = c.id;
  }
  for (const auto& [key, sha] : acknowledged) {
    auto collection = collections.find(key.first);
    if (collection == collections.end()) {
      problems.push_back("acknowledged item " + Short(key) + ": its collection is gone");
      continue;
    }
    Result<std::vector<storage::RevisionInfo>> revisions = (*vault)->ListRevisions(collection->second, key.second);
    bool found = false;
    if (revisions) {
      for (const storage::RevisionInfo& r : *revisions) found = found || platform::ToHex(r.sha256) == sha;
    }
    if (!found) problems.push_back("acknowledged item " + Short(key) + " lost its revision " + sha.substr(0, 12));
  }
  return problems;
}

Problems LedgerNotOnServer(const std::string& vault_path, const std::string& remote, const std::string& data_dir,
                           int64_t since_ms) {
  Problems problems;
  const ItemShas server = ServerItems(data_dir);
  const ItemShas live = VaultLiveItems(vault_path);
  for (const auto& [key, row] : VaultLedger(vault_path, remote)) {
    if (row.acked_at_ms < since_ms || row.item_deleted) continue;
    auto held = server.find(key);
    auto current = live.find(key);
    if (held == server.end()) {
      problems.push_back("the ledger says the server holds " + Short(key) + " but it does not");
    } else if (held->second != row.sha256 && (current == live.end() || current->second != held->second)) {
      // (The server may hold the item's current content, sent by a push
      // killed before it recorded the answer: the ledger is behind, not ahead.)
      problems.push_back("the ledger says the server holds " + Short(key) + " as " + row.sha256.substr(0, 12) +
                         " but it holds " + held->second.substr(0, 12));
    }
  }
  return problems;
}

Problems LedgerRowsLost(const std::map<ItemKey, LedgerRow>& before, const std::map<ItemKey, LedgerRow>& after,
                        const ItemShas& live) {
  Problems problems;
  for (const auto& [key, row] : before) {
    auto now = after.find(key);
    auto current = live.find(key);
    if (now == after.end()) {
      problems.push_back("the ledger lost its row for " + Short(key));
    } else if (now->second.sha256 != row.sha256 && (current == live.end() || current->second != now->second.sha256)) {
      problems.push_back("the ledger's row for " + Short(key) + " changed to a content the vault does not hold");
    }
  }
  return problems;
}

Problems LedgerIncomplete(const std::string& vault_path, const std::string& remote) {
  Problems problems;
  const std::map<ItemKey, LedgerRow> ledger = VaultLedger(vault_path, remote);
  for (const auto& [key, sha] : VaultLiveItems(vault_path)) {
    auto row = ledger.find(key);
    if (row == ledger.end() || row->second.sha256 != sha) {
      problems.push_back("the ledger does not record " + Short(key) + " as on the server");
    }
  }
  return problems;
}

Problems ServerMatchesVault(const std::string& vault_path, const std::string& data_dir) {
  Problems problems;
  const ItemShas vault = VaultLiveItems(vault_path);
  const ItemShas server = ServerItems(data_dir);
  for (const auto& [key, sha] : vault) {
    auto held = server.find(key);
    if (held == server.end()) {
      problems.push_back("the server lacks " + Short(key));
    } else if (held->second != sha) {
      problems.push_back("the server holds " + Short(key) + " as " + held->second.substr(0, 12) + ", the vault as " +
                         sha.substr(0, 12));
    }
  }
  for (const auto& [key, sha] : server) {
    if (vault.count(key) == 0) problems.push_back("the server holds " + Short(key) + " that the vault does not");
  }
  if (VaultInventory(vault_path) != ServerInventory(data_dir)) {
    problems.push_back("the inventories (item counts and digests) differ");
  }
  std::unique_ptr<storage::Db> db = OpenSqliteForReading(data_dir + "/server.db");
  const std::string broken = QueryText(*db,
                                       "SELECT count(*) FROM items i WHERE i.blob_sha256 IS NOT NULL AND NOT EXISTS "
                                       "(SELECT 1 FROM blobs b WHERE b.account = i.account AND b.sha256 = "
                                       "i.blob_sha256 AND b.complete = 1 AND b.received = b.size)");
  if (broken != "0") problems.push_back(broken + " server items point to a blob that is not whole");
  return problems;
}

std::string ArchiveFingerprint(const fs::path& archive, Problems* problems) {
  if (!fs::exists(archive)) {
    problems->push_back(archive.string() + " is missing");
    return "";
  }
  TempDir extract(fs::is_directory("/dev/shm") ? "/dev/shm" : "");  // in memory where there is one
  ProcessResult untar = RunProcess({"/bin/tar", "-xf", archive.string(), "-C", extract.path().string()});
  if (untar.exit_code != 0) {
    problems->push_back(archive.string() + ": tar -x failed: " + untar.err);
    return "";
  }
  const fs::path root = extract.path() / "holdfast-export";
  ProcessResult sums =
      RunProcess({"/bin/sh", "-c", "cd '" + root.string() + "' && sha256sum --quiet --strict -c SHA256SUMS"});
  if (sums.exit_code != 0) {
    problems->push_back(archive.string() + ": sha256sum -c failed: " + sums.out + sums.err);
    return "";
  }
  std::vector<std::string> lines;
  std::istringstream text(ReadFileBytes(root / "SHA256SUMS"));
  std::string line;
  while (std::getline(text, line)) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  // Every member under items/ is listed: none extra, none missing.
  size_t members = 0;
  if (fs::exists(root / "items")) {
    for (const auto& entry : fs::recursive_directory_iterator(root / "items")) members += entry.is_regular_file();
  }
  if (members != lines.size()) {
    problems->push_back(archive.string() + ": " + std::to_string(members) + " item members but " +
                        std::to_string(lines.size()) + " lines in SHA256SUMS");
    return "";
  }
  std::string fingerprint;
  for (const std::string& l : lines) fingerprint += l + "\n";
  return fingerprint;
}

std::string TreeFingerprint(const fs::path& root, Problems* problems) {
  if (!fs::is_directory(root)) {
    problems->push_back(root.string() + " is missing");
    return "";
  }
  std::vector<std::string> lines;
  for (const auto& [path, bytes] : TreeBytes(root)) {
    lines.push_back(platform::ToHex(platform::Sha256Of(bytes)) + "  " + path);
  }
  std::sort(lines.begin(), lines.end());
  std::string fingerprint;
  for (const std::string& l : lines) fingerprint += l + "\n";
  return fingerprint;
}

std::vector<std::string> FingerprintShas(const std::string& fingerprint) {
  std::vector<std::string> shas;
  std::istringstream text(fingerprint);
  std::string line;
  while (std::getline(text, line)) shas.push_back(line.substr(0, 64));
  std::sort(shas.begin(), shas.end());
  return shas;
}

std::vector<std::string> LiveShas(const ItemShas& live) {
  std::vector<std::string> shas;
  for (const auto& [key, sha] : live) shas.push_back(sha);
  std::sort(shas.begin(), shas.end());
  return shas;
}

Problems Leftovers(const fs::path& folder) {
  Problems problems;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(".holdfast-", 0) == 0 || name.find(".tmp-") != std::string::npos) {
      problems.push_back("left behind: " + entry.path().string());
    }
  }
  return problems;
}

}  // namespace holdfast::testing
