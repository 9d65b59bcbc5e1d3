// The reference server killed mid-batch (issue 17): the real holdfast-server
// is sent SIGKILL at seeded random moments while the real `holdfast` pushes a
// small handset to it, then restarted on the same data. After every kill:
//   - `holdfast-server verify` finds the store consistent (integrity_check;
//     every item's content or blob of its SHA-256; every blob's chunks whole
//     and of its size and hash; each account's usage row equal to the sum of
//     its items and blobs);
//   - no batch is half-stored: the small handset's collections each fit in
//     one batch (checked on a clean push first), so each collection on the
//     server holds either what it held before that push or all of the vault's.
// The server is restarted on the same store and port while the push
// retries (up to three kills in one push); the push must then complete, a
// second push find nothing left, and the server equal the vault (inventory
// by SHA-256, `holdfast check` finds every collection healthy, the vault
// verifies).
//
// HOLDFAST_SERVER_KILLS sets the number of kills (default 8),
// HOLDFAST_SERVER_KILL_SEED the seed (default 5). The negative controls at
// the end show the checks catching a server that commits a batch entry by
// entry (`--faults commit_each_ms=N`), and a store edited behind its back.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "agent/exit_codes.h"
#include "storage/sqlite_handle.h"
#include "tests/support/child_process.h"
#include "tests/support/handset.h"
#include "tests/support/inventory.h"
#include "tests/support/server_process.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitOk;
using testing::ItemShas;
using testing::ProcessResult;
using testing::RunProcess;

int EnvInt(const char* name, int fallback) {
  const char* env = std::getenv(name);
  return env != nullptr ? std::atoi(env) : fallback;
}

// A server process that a test can SIGKILL; started on `data` with `extra`.
class KillableServer {
 public:
  // port 0: one the kernel picks; else that one (a restart keeps its port).
  explicit KillableServer(const fs::path& data, const std::vector<std::string>& extra = {}, int port = 0) {
    std::vector<std::string> args = {testing::ServerBinary(), "serve", "--data", data.string(), "--listen",
                                     "127.0.0.1:" + std::to_string(port)};
    args.insert(args.end(), extra.begin(), extra.end());
    child_ = std::make_unique<testing::ChildProcess>(args);
    for (int i = 0; i < 200 && child_->output().find('\n') == std::string::npos; ++i) child_->ReadFor(50);
    const size_t colon = child_->output().find("127.0.0.1:");
    REQUIRE_MESSAGE(colon != std::string::npos, "the server did not start: " << child_->output());
    port_ = std::atoi(child_->output().c_str() + colon + 10);
    url_ = "http://127.0.0.1:" + std::to_string(port_);
  }
  const std::string& url() const { return url_; }
  int port() const { return port_; }
  // SIGKILL; true when the server was still running (it always should be).
  bool Kill() {
    const bool running = child_->Running();
    child_->KillAndWait();
    return running;
  }

 private:
  std::unique_ptr<testing::ChildProcess> child_;
  int port_ = 0;
  std::string url_;
};

// A captured small handset with remote "home" on account "phone" of a
// server store in `data` (not running).
struct Phone {
  testing::Handset h;
  fs::path data = h.dir / "server";
  fs::path token_file = h.dir / "token";

  Phone() {
    testing::WriteTokenFile(token_file, testing::AddAccount(data.string(), "phone"));
    ProcessResult capture = h.Holdfast({"capture"});
    REQUIRE_MESSAGE(capture.exit_code == kExitOk, (capture.out + capture.err));
    REQUIRE(h.Holdfast({"remote", "add", "home", "--url", "http://127.0.0.1:1", "--account", "phone",
                        "--token-file", token_file.string()})
                .exit_code == kExitOk);
  }
};

// A fresh copy of a Phone's vault, config and (empty) server store, for one
// campaign of kills.
struct Copy {
  testing::TempDir dir;
  std::string vault = (dir / "vault.db").string();
  std::string config = (dir / "config.json").string();
  fs::path data = dir / "server";

  explicit Copy(const Phone& phone) {
    for (const char* name : {"vault.db", "vault.db-wal"}) {
      if (fs::exists(phone.h.dir / name)) fs::copy_file(phone.h.dir / name, dir / name);
    }
    fs::copy_file(phone.h.config, config);
    fs::copy(phone.data, data);
  }
  void PointAt(const std::string& url) const {
    nlohmann::json json = nlohmann::json::parse(testing::ReadFileBytes(config));
    json["remotes"][0]["url"] = url;
    testing::WriteFileBytes(config, json.dump(2));
  }
  std::vector<std::string> Argv(const std::string& command) const {
    return {testing::HoldfastBinary(), "--vault", vault, "--config", config, command};
  }
  std::unique_ptr<testing::ChildProcess> Start(const std::string& command) const {
    return std::make_unique<testing::ChildProcess>(Argv(command));
  }
  ProcessResult Run(const std::string& command) const { return RunProcess(Argv(command)); }
};

// Items by collection.
std::map<std::string, std::map<std::string, std::string>> ByCollection(const ItemShas& items) {
  std::map<std::string, std::map<std::string, std::string>> out;
  for (const auto& [key, sha] : items) out[key.first][key.second] = sha;
  return out;
}

// What `holdfast-server verify` reports; empty when the store is consistent.
std::vector<std::string> StoreFaults(const fs::path& data) {
  ProcessResult verify = RunProcess({testing::ServerBinary(), "verify", "--data", data.string()});
  if (verify.exit_code == 0 && verify.out.find("verified:") != std::string::npos) return {};
  return {"holdfast-server verify exit " + std::to_string(verify.exit_code) + ": " + verify.out + verify.err};
}

// Collections whose server copy is neither what it was before the push
// (`before`) nor the vault's whole: a batch stored in part.
std::vector<std::string> HalfStoredBatches(const ItemShas& before, const ItemShas& now, const ItemShas& vault) {
  std::vector<std::string> problems;
  auto was = ByCollection(before), is = ByCollection(now), want = ByCollection(vault);
  std::set<std::string> ids;
  for (const auto* m : {&was, &is, &want}) {
    for (const auto& [id, items] : *m) ids.insert(id);
  }
  for (const std::string& id : ids) {
    if (is[id] == was[id] || is[id] == want[id]) continue;
    problems.push_back("collection " + id + ": " + std::to_string(is[id].size()) + " items, neither the " +
                       std::to_string(was[id].size()) + " before the push nor the vault's " +
                       std::to_string(want[id].size()));
  }
  return problems;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

TEST_CASE("a server killed mid-push keeps whole batches, a consistent store, and converges once restarted") {
  const int kills = EnvInt("HOLDFAST_SERVER_KILLS", 8);
  std::mt19937_64 rng(static_cast<uint64_t>(EnvInt("HOLDFAST_SERVER_KILL_SEED", 5)));
  const Phone phone;
  const ItemShas vault = testing::VaultLiveItems(phone.h.vault);
  REQUIRE(vault.size() > 100);

  // A clean push: its duration (the kills are drawn from it), and the
  // premise of the half-batch check: one batch per collection.
  double clean_ms = 0;
  {
    const Copy copy(phone);
    const fs::path log = copy.dir / "requests.log";
    KillableServer server(copy.data, {"--request-log", log.string()});
    copy.PointAt(server.url());
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(copy.Start("push")->Wait() == kExitOk);
    clean_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const std::string requests = testing::ReadFileBytes(log);
    int batches = 0;
    for (size_t at = requests.find("/batch "); at != std::string::npos; at = requests.find("/batch ", at + 1)) ++batches;
    REQUIRE_MESSAGE(batches == static_cast<int>(ByCollection(vault).size()),
                    "the half-batch check needs one batch per collection: " << requests);
    server.Kill();
    CHECK(StoreFaults(copy.data).empty());
  }
  MESSAGE("a clean push of the small handset takes " << clean_ms << " ms");

  // Campaigns of up to three kills of the server during one push: after
  // each, the store is checked, and the server restarted on it (same port)
  // while the push retries; the push then completes against it.
  int kills_done = 0, mid_push = 0;
  while (kills_done < kills) {
    const Copy copy(phone);
    auto server = std::make_unique<KillableServer>(copy.data);
    const int port = server->port();
    copy.PointAt(server->url());
    auto push = copy.Start("push");
    ItemShas before;
    for (int in_row = 0; in_row < 3 && kills_done < kills; ++in_row, ++kills_done) {
      CAPTURE(kills_done);
      const int64_t window_us = static_cast<int64_t>(clean_ms * 1000) / (in_row + 1);
      // The seeded random moment is the point of this wait (there is no condition to await).
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<int64_t>(0, window_us)(rng)));
      if (push->Running()) ++mid_push;
      REQUIRE(server->Kill());

      const std::vector<std::string> faults = StoreFaults(copy.data);
      CHECK_MESSAGE(faults.empty(), Join(faults));
      const ItemShas now = testing::ServerItems(copy.data.string());
      const std::vector<std::string> half = HalfStoredBatches(before, now, vault);
      CHECK_MESSAGE(half.empty(), Join(half));
      for (const auto& [key, sha] : before) CHECK_MESSAGE(now.count(key) == 1, key.first << "/" << key.second);
      before = now;
      server = std::make_unique<KillableServer>(copy.data, std::vector<std::string>{}, port);
    }
    // The push goes on against the restarted server (its retries) and completes.
    CHECK(push->Wait() == kExitOk);
    ProcessResult again = copy.Run("push");
    REQUIRE_MESSAGE(again.exit_code == kExitOk, (again.out + again.err));
    CHECK(testing::ServerItems(copy.data.string()) == vault);
    CHECK(testing::ServerInventory(copy.data.string()) == testing::VaultInventory(copy.vault));
    // The agent's own read-back: every collection holds what it acknowledged.
    ProcessResult check = copy.Run("check");
    CHECK_MESSAGE(check.exit_code == kExitOk, (check.out + check.err));
    size_t healthy = 0;
    for (size_t at = check.out.find(": healthy ("); at != std::string::npos; at = check.out.find(": healthy (", at + 1)) {
      ++healthy;
    }
    CHECK_MESSAGE(healthy == ByCollection(vault).size(), check.out);
    CHECK(copy.Run("verify").exit_code == kExitOk);
    server->Kill();
    CHECK(StoreFaults(copy.data).empty());
  }
  MESSAGE(kills << " kills of the server, " << mid_push << " with the push still running");
  CHECK(mid_push * 2 >= kills);
}

TEST_CASE("negative control: the checks catch a server that commits a batch entry by entry") {
  const Phone phone;
  const ItemShas vault = testing::VaultLiveItems(phone.h.vault);
  // The largest collection: its batch is the longest to commit one by one.
  std::string largest;
  size_t largest_items = 0;
  for (const auto& [id, items] : ByCollection(vault)) {
    if (items.size() > largest_items) largest = id, largest_items = items.size();
  }
  REQUIRE(largest_items > 10);
  const Copy copy(phone);
  KillableServer server(copy.data, {"--faults", "commit_each_ms=5"});
  copy.PointAt(server.url());
  auto push = copy.Start("push");
  // Awaited: the moment the largest collection's batch is part stored.
  size_t seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    seen = ByCollection(testing::ServerItems(copy.data.string()))[largest].size();
    if (seen > 0 && seen < largest_items) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  REQUIRE_MESSAGE((seen > 0 && seen < largest_items), "never saw the batch part stored");
  REQUIRE(server.Kill());
  push->KillAndWait();  // no server comes back: its retries would only take time
  const std::vector<std::string> half =
      HalfStoredBatches({}, testing::ServerItems(copy.data.string()), vault);
  REQUIRE_FALSE(half.empty());
  MESSAGE("caught: " << half.front());
  // The store itself is consistent: each entry was its own whole transaction.
  CHECK(StoreFaults(copy.data).empty());
}

TEST_CASE("negative control: verify catches a stored item, blob or usage row edited behind the server") {
  const Phone phone;
  const Copy pushed(phone);
  {
    KillableServer server(pushed.data);
    pushed.PointAt(server.url());
    ProcessResult push = pushed.Run("push");
    REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err));
  }
  REQUIRE(StoreFaults(pushed.data).empty());
  const std::vector<std::pair<std::string, std::string>> edits = {
      {"an item's bytes", "UPDATE items SET content = X'00' || content WHERE rowid = "
                          "(SELECT min(rowid) FROM items WHERE content IS NOT NULL)"},
      {"a blob's chunk", "UPDATE blob_chunks SET data = X'00' || substr(data, 2) WHERE rowid = "
                         "(SELECT min(rowid) FROM blob_chunks)"},
      {"the usage row", "UPDATE account_usage SET bytes = bytes + 1"},
      {"an item lost without its usage", "DROP TRIGGER items_usage_delete; DELETE FROM items WHERE rowid = "
                                         "(SELECT min(rowid) FROM items)"},
  };
  for (const auto& [what, sql] : edits) {
    CAPTURE(what);
    testing::TempDir copy;
    fs::copy(pushed.data, copy / "server");
    {
      auto db = storage::Db::Open("file:" + (copy / "server/server.db").string(), SQLITE_OPEN_READWRITE);
      REQUIRE(db);
      REQUIRE((*db)->Exec(sql).ok());
    }
    const std::vector<std::string> faults = StoreFaults(copy / "server");
    CHECK_FALSE(faults.empty());
    if (!faults.empty()) MESSAGE(what << ": " << faults.front());
  }
}

}  // namespace
}  // namespace holdfast
