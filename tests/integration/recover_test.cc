// Detecting a server that lost the data, and the verified re-upload, against
// the real reference server on 127.0.0.1: every detection signal, a partial
// loss, a collection gone, a second wipe during recovery, a kill during
// recovery, servers that cannot be asked, an operator's request with a
// spread window, and an item the server silently dropped.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <random>
#include <sstream>
#include <thread>

#include "agent/exit_codes.h"
#include "agent/sync/check.h"
#include "agent/sync/holdfast_backend.h"
#include "storage/sqlite_handle.h"
#include "storage/vault.h"
#include "tests/support/child_process.h"
#include "tests/support/handset.h"
#include "tests/support/inventory.h"
#include "tests/support/server_process.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitAttention;
using agent::kExitOk;
using agent::kExitRemote;
using agent::kExitRemoteRefused;
using testing::ServerInventory;
using testing::VaultInventory;
using testing::ProcessResult;
using testing::RunProcess;

// Runs SQL on the server's store, as an operator's mistake or a failing disk would.
void EditServerStore(const std::string& data, const std::string& sql) {
  auto db = storage::Db::Open("file:" + data + "/server.db", SQLITE_OPEN_READWRITE);
  REQUIRE(db);
  sqlite3_busy_timeout((*db)->get(), 5000);
  REQUIRE((*db)->Exec(sql).ok());
}

// A handset captured and pushed to a server, with its server process.
struct Pushed {
  testing::Handset h;
  std::string data = (h.dir / "server").string();
  fs::path token_file = h.dir / "token";
  std::unique_ptr<testing::ServerProcess> server;

  explicit Pushed(const std::vector<std::string>& faults = {}) {
    testing::WriteTokenFile(token_file, testing::AddAccount(data, "phone"));
    Start(faults);
    REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);
    REQUIRE(h.Holdfast({"remote", "add", "home", "--url", server->url(), "--account", "phone", "--token-file",
                        token_file.string()})
                .exit_code == kExitOk);
    ProcessResult push = h.Holdfast({"push"});
    REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err));
  }
  // (Re)starts the server on the same port range; the remote's URL follows.
  void Start(const std::vector<std::string>& extra) {
    server.reset();
    server = std::make_unique<testing::ServerProcess>(data, extra);
    if (fs::exists(h.config)) {
      std::string config = testing::ReadFileBytes(h.config);
      size_t at = config.find("http://127.0.0.1:");
      if (at != std::string::npos) {
        size_t end = config.find('"', at);
        config.replace(at, end - at, server->url());
        testing::WriteFileBytes(h.config, config);
      }
    }
  }
  bool InSync() { return VaultInventory(h.vault) == ServerInventory(data); }
  void Wipe() {
    ProcessResult wiped = RunProcess({testing::ServerBinary(), "wipe", "--data", data, "--account", "phone"});
    REQUIRE_MESSAGE(wiped.exit_code == 0, wiped.err);
  }
};

TEST_CASE("a healthy server is classified healthy and recover has nothing to do") {
  Pushed p;
  ProcessResult check = p.h.Holdfast({"check"});
  CHECK_MESSAGE(check.exit_code == kExitOk, check.out);
  CHECK(check.out.find("healthy") != std::string::npos);
  CHECK(check.out.find("lost") == std::string::npos);
  ProcessResult recover = p.h.Holdfast({"recover"});
  CHECK(recover.exit_code == kExitOk);
  CHECK(recover.out.find("Nothing to recover") != std::string::npos);
}

TEST_CASE("a wipe (new epoch) is a loss of everything; recover re-sends all and verifies") {
  Pushed p;
  p.Wipe();
  ProcessResult check = p.h.Holdfast({"check"});
  CHECK(check.exit_code == kExitAttention);
  CHECK(check.out.find("CHANGED") != std::string::npos);
  CHECK(check.out.find("healthy") == std::string::npos);
  ProcessResult recover = p.h.Holdfast({"recover"});
  REQUIRE_MESSAGE(recover.exit_code == kExitOk, (recover.out + recover.err));
  CHECK(recover.out.find("Ran a recovery (epoch)") != std::string::npos);
  CHECK(recover.out.find("VERIFIED") != std::string::npos);
  CHECK(p.InSync());
  nlohmann::json status = p.h.Status();
  const nlohmann::json& last = status["remotes"][0]["last_recovery"];
  CHECK(last["verified"] == true);
  CHECK(last["resent"]["contact"]["items"] == 200);
  CHECK(last["resent"]["photo"]["items"] == 20);
  CHECK(status["remotes"][0]["recovery_in_progress"].is_null());
  CHECK(p.h.Holdfast({"check"}).exit_code == kExitOk);
}

TEST_CASE("a partial loss names only the missing items, and only they are sent again") {
  Pushed p;
  // Three events vanish from the server's store; nothing else changes.
  EditServerStore(p.data, "DELETE FROM items WHERE rowid IN (SELECT rowid FROM items WHERE content IS NOT NULL "
                          "AND uid IN (SELECT uid FROM items ORDER BY uid LIMIT 3))");
  ProcessResult check = p.h.Holdfast({"check"});
  CHECK(check.exit_code == kExitAttention);
  CHECK(check.out.find("3 of") != std::string::npos);
  ProcessResult recover = p.h.Holdfast({"recover"});
  REQUIRE_MESSAGE(recover.exit_code == kExitOk, (recover.out + recover.err));
  nlohmann::json last = p.h.Status()["remotes"][0]["last_recovery"];
  int resent = 0;
  for (auto& [kind, totals] : last["resent"].items()) resent += totals["items"].get<int>();
  CHECK(resent == 3);
  CHECK(last["reason"] == "lost");
  CHECK(p.InSync());
}

TEST_CASE("a collection gone from the server is a loss of that collection only") {
  Pushed p;
  std::string journal_id;
  {
    std::unique_ptr<storage::Vault> vault = *storage::Vault::Open(p.h.vault, storage::Vault::OpenMode::kExisting);
    for (const storage::CollectionInfo& c : *vault->ListCollections()) {
      if (c.name == "journal") journal_id = agent::RemoteCollectionId(c);
    }
  }
  REQUIRE(!journal_id.empty());
  EditServerStore(p.data, "DELETE FROM items WHERE collection = '" + journal_id + "'; DELETE FROM collections WHERE id = '" +
                              journal_id + "';");
  ProcessResult check = p.h.Holdfast({"check"});
  CHECK(check.exit_code == kExitAttention);
  CHECK(check.out.find("note 'journal': lost") != std::string::npos);
  CHECK(check.out.find("the collection is gone") != std::string::npos);
  CHECK(check.out.find("contact 'personal': healthy") != std::string::npos);
  ProcessResult recover = p.h.Holdfast({"recover"});
  REQUIRE_MESSAGE(recover.exit_code == kExitOk, (recover.out + recover.err));
  CHECK(p.h.Status()["remotes"][0]["last_recovery"]["resent"]["note"]["items"] == 20);
  CHECK(p.h.Status()["remotes"][0]["last_recovery"]["resent"]["contact"]["items"] == 0);
  CHECK(p.InSync());
}

// The vault as it was before the last push recorded the server's answers:
// what a push killed after the server stored its changes leaves.
struct VaultBeforePush {
  explicit VaultBeforePush(const std::string& vault) : vault_(vault), copy_(vault + ".before-push") {
    auto db = storage::Db::Open("file:" + vault, SQLITE_OPEN_READWRITE);
    REQUIRE(db);
    REQUIRE((*db)->Exec("VACUUM INTO '" + copy_ + "'").ok());
  }
  void PutBack() {
    for (const char* suffix : {"-wal", "-shm"}) fs::remove(vault_ + suffix);
    fs::rename(copy_, vault_);
  }
  std::string vault_, copy_;
};

TEST_CASE("a push killed before recording what the server took is no loss: no recovery, nothing re-sent twice") {
  Pushed p;
  // A card edited and another deleted on the phone, captured.
  std::vector<fs::path> cards = testing::FilesIn(p.h.tree / "contacts/personal");
  std::string card = testing::ReadFileBytes(cards[0]);
  card.insert(card.rfind("END:VCARD"), "NOTE:edited\r\n");
  testing::WriteFileBytes(cards[0], card);
  fs::remove(cards[1]);
  REQUIRE(p.h.Holdfast({"capture"}).exit_code == kExitOk);
  VaultBeforePush before(p.h.vault);
  // The push reaches the server, but its acknowledgements never reach the vault.
  REQUIRE(p.h.Holdfast({"push"}).exit_code == kExitOk);
  before.PutBack();
  CHECK(p.h.Status()["remotes"][0]["pending_puts"] == 1);
  CHECK(p.h.Status()["remotes"][0]["pending_deletes"] == 1);

  ProcessResult check = p.h.Holdfast({"check"});
  CHECK_MESSAGE(check.exit_code == kExitOk, check.out);
  CHECK(check.out.find("lost") == std::string::npos);
  ProcessResult push = p.h.Holdfast({"push"});
  REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err));
  CHECK(push.out.find("lost data") == std::string::npos);
  CHECK(p.h.Status()["remotes"][0]["last_recovery"].is_null());
  CHECK(p.h.Status()["remotes"][0]["pending_puts"] == 0);
  CHECK(p.h.Status()["remotes"][0]["pending_deletes"] == 0);
  CHECK(p.InSync());
  CHECK(p.h.Holdfast({"check"}).exit_code == kExitOk);
}

TEST_CASE("an unreachable or failing server never starts a recovery") {
  Pushed p;
  const nlohmann::json before = p.h.Status()["remotes"][0];
  p.server.reset();  // nobody listens any more
  ProcessResult check = p.h.Holdfast({"check"});
  CHECK(check.exit_code == kExitRemote);
  CHECK(check.out.find("UNKNOWN") != std::string::npos);
  ProcessResult recover = p.h.Holdfast({"recover"});
  CHECK(recover.exit_code == kExitRemote);
  CHECK(recover.err.find("no recovery started") != std::string::npos);
  // A server that answers 500 to everything, and one that refuses the token.
  p.Start({"--faults", "seed=1,error500=1"});
  CHECK(p.h.Holdfast({"recover"}).exit_code == kExitRemote);
  CHECK(p.h.Holdfast({"push"}).exit_code == kExitRemote);
  p.Start({});
  testing::WriteTokenFile(p.token_file, std::string(64, '0'));
  CHECK(p.h.Holdfast({"recover"}).exit_code == kExitRemoteRefused);
  const nlohmann::json after = p.h.Status()["remotes"][0];
  CHECK(after["acknowledged"] == before["acknowledged"]);
  CHECK(after["recovery_in_progress"].is_null());
  CHECK(after["last_recovery"].is_null());
}

TEST_CASE("a recovery killed at random moments resumes and ends verified with no duplicate") {
  Pushed p({"--faults", "seed=4,latency_ms=10"});
  p.Wipe();
  {
    // A slow server: the first recovery is killed after it had time to
    // record its progress, which `status --json` then shows.
    p.Start({"--faults", "seed=4,latency_ms=100"});
    testing::ChildProcess child({testing::HoldfastBinary(), "--vault", p.h.vault, "--config", p.h.config, "recover"});
    child.ReadFor(1500);
    child.KillAndWait();
    const nlohmann::json remote = p.h.Status()["remotes"][0];
    REQUIRE_MESSAGE(remote["recovery_in_progress"].is_string(), remote.dump());
    CHECK(remote["recovery_in_progress"] == "epoch");
    REQUIRE_MESSAGE(remote["recovery_progress"].is_object(), remote.dump());
    CHECK(remote["recovery_progress"]["items_total"].get<int>() > 0);
  }
  // Still slow enough (every request 100 ms) that the kills below land in
  // the middle of a run, whatever the machine's speed.
  std::mt19937_64 rng(17);
  int killed = 0;
  for (int i = 0; i < 5; ++i) {
    testing::ChildProcess child({testing::HoldfastBinary(), "--vault", p.h.vault, "--config", p.h.config, "recover"});
    child.ReadFor(static_cast<int>(150 + rng() % 500));
    if (child.KillAndWait() != 0) ++killed;
  }
  CHECK(killed > 0);
  MESSAGE(killed << " of 5 recoveries were killed");

  // The next run finishes what is left (or finds that a run finished before its kill).
  ProcessResult finish = p.h.Holdfast({"recover"});
  REQUIRE_MESSAGE(finish.exit_code == kExitOk, (finish.out + finish.err));
  const nlohmann::json remote = p.h.Status()["remotes"][0];
  CHECK(remote["recovery_in_progress"].is_null());
  CHECK(remote["last_recovery"]["verified"] == true);
  CHECK(p.InSync());
}

TEST_CASE("a second wipe during the recovery restarts it against the new epoch") {
  Pushed p({"--faults", "seed=5,latency_ms=40"});
  p.Wipe();
  testing::ChildProcess child({testing::HoldfastBinary(), "--vault", p.h.vault, "--config", p.h.config, "recover"});
  child.ReadFor(600);
  p.Wipe();
  const int exit_code = child.Wait();
  CHECK_MESSAGE(exit_code == kExitOk, child.output());
  if (child.output().find("wiped again") == std::string::npos) {
    MESSAGE("the recovery finished before the second wipe: recovering again");
    REQUIRE(p.h.Holdfast({"recover"}).exit_code == kExitOk);
  }
  CHECK(p.InSync());
}

TEST_CASE("an operator's re-upload waits for this device's slot in the spread window") {
  Pushed p;
  REQUIRE(RunProcess({testing::ServerBinary(), "request-reupload", "--data", p.data, "--account", "phone", "--spread",
                      "10d"})
              .exit_code == 0);
  ProcessResult check = p.h.Holdfast({"check"});
  CHECK(check.exit_code == kExitOk);
  CHECK(check.out.find("reupload-requested") != std::string::npos);
  ProcessResult waiting = p.h.Holdfast({"recover"});
  CHECK(waiting.exit_code == kExitOk);
  CHECK(waiting.out.find("due at this device's slot") != std::string::npos);
  // The slot is this device's, the same each time, inside the window.
  const std::string device = p.h.Status()["device_id"];
  const int64_t slot = agent::ReuploadSlot(device, "r-1", 1000, 864000000);
  CHECK(slot == agent::ReuploadSlot(device, "r-1", 1000, 864000000));
  CHECK(slot >= 1000);
  CHECK(slot < 1000 + 864000000);
  CHECK(agent::ReuploadSlot(device, "r-2", 1000, 864000000) != slot);
  // A request whose window opens now, without spread: everything is sent again and verified.
  REQUIRE(RunProcess({testing::ServerBinary(), "request-reupload", "--data", p.data, "--account", "phone",
                      "--not-before", "0"})
              .exit_code == 0);
  ProcessResult reuploaded = p.h.Holdfast({"recover"});
  REQUIRE_MESSAGE(reuploaded.exit_code == kExitOk, (reuploaded.out + reuploaded.err));
  CHECK(reuploaded.out.find("Ran a recovery (reupload r-") != std::string::npos);
  CHECK(reuploaded.out.find("VERIFIED") != std::string::npos);
  CHECK(p.h.Holdfast({"check"}).out.find(": done") != std::string::npos);
  // And by hand, one collection.
  ProcessResult manual = p.h.Holdfast({"reupload", "--collection", "journal"});
  REQUIRE_MESSAGE(manual.exit_code == kExitOk, (manual.out + manual.err));
  CHECK(p.h.Status()["remotes"][0]["last_recovery"]["resent"]["note"]["items"] == 20);
  CHECK(p.h.Status()["remotes"][0]["last_recovery"]["resent"]["contact"]["items"] == 0);
}

TEST_CASE("read-back catches items the server acknowledged but silently dropped") {
  Pushed p;
  p.Wipe();
  // Each item is dropped with probability 0.03 in every round, so one stays
  // lost after all 4 rounds with probability 0.03^4 (about 1 run in 2,000 for
  // 570 inline items; at 0.1 it was 1 in 18, as batches reach the server in
  // varying order and the draws fall on different items). Round 1 still drops
  // about 17.
  p.Start({"--faults", "seed=9,drop=0.03"});
  ProcessResult recover = p.h.Holdfast({"recover"});
  REQUIRE_MESSAGE(recover.exit_code == kExitOk, (recover.out + recover.err));
  nlohmann::json last = p.h.Status()["remotes"][0]["last_recovery"];
  CHECK(last["verified"] == true);
  CHECK(last["rounds"].get<int>() >= 2);  // the first read-back found the dropped items
  p.Start({});
  CHECK(p.InSync());
}

TEST_CASE("push detects a loss and recovers by itself") {
  Pushed p;
  p.Wipe();
  ProcessResult push = p.h.Holdfast({"push"});
  REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err));
  CHECK(push.out.find("The server had lost data (epoch)") != std::string::npos);
  CHECK(push.out.find("VERIFIED") != std::string::npos);
  CHECK(p.InSync());
}

}  // namespace
}  // namespace holdfast
