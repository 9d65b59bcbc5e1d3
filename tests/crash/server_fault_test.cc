// Server faults at every request boundary: the reference server places one
// fault (`--faults at=N:KIND`) at request N of a push, and of a recovery, of
// a small handset, for each N of a clean run and each kind; the real
// `holdfast` must end, at once or when run again, with a server inventory
// equal to the vault by SHA-256, every blob on the server whole, no
// duplicate, and a vault that verifies. A negative control shows that the
// convergence check catches a server that loses data it acknowledged.
//
// CI runs, for a push, every request index for reset_after (the server
// committed, the client saw no answer), every fifth for reset_before and
// truncate, and one index for each of the others; for a recovery (longer
// runs) every third and every seventh; HOLDFAST_FAULT_SWEEP=full runs every index
// for every kind (tools/reliability/faults.sh).
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "agent/exit_codes.h"
#include "platform/sha256.h"
#include "storage/sqlite_handle.h"
#include "tests/support/handset.h"
#include "tests/support/inventory.h"
#include "tests/support/server_process.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitOk;
using agent::kExitRemote;
using testing::ProcessResult;
using testing::RunProcess;

// Each kind with the request indexes CI places it at: `stride` 1 is every
// index; otherwise every stride-th from `first` (a fraction of the clean
// run's requests, so that the sample falls on different kinds of request).
struct KindPlan {
  const char* fault;
  int push_stride;     // 1: every index; 0: one placement only
  int recover_stride;  // the same for a recovery (each run costs more)
  double first;        // where the first placement falls, as a fraction of the run
};
const KindPlan kKinds[] = {{"reset_after", 1, 3, 0.0},  {"reset_before", 5, 7, 0.0}, {"truncate", 5, 7, 0.4},
                           {"error500", 0, 0, 0.2},     {"error503", 0, 0, 0.5},     {"error429", 0, 0, 0.7},
                           {"latency:1500", 0, 0, 0.9}};

bool FullSweep() {
  const char* sweep = std::getenv("HOLDFAST_FAULT_SWEEP");
  return sweep != nullptr && std::string(sweep) == "full";
}

// The request numbers (1..requests) a kind is placed at.
std::vector<int> IndexesFor(const KindPlan& plan, bool recovery, int requests) {
  std::vector<int> indexes;
  const int stride = recovery ? plan.recover_stride : plan.push_stride;
  const int first = 1 + static_cast<int>(plan.first * (requests - 1));
  for (int at = 1; at <= requests; ++at) {
    if (FullSweep() || stride == 1 || (stride == 0 && at == first) ||
        (stride > 1 && (at >= first ? at - first : first - at) % stride == 0)) {
      indexes.push_back(at);
    }
  }
  return indexes;
}

// Copies a folder's regular files (a vault and its -wal, a server's data).
void CopyFolder(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& entry : fs::directory_iterator(from)) {
    if (entry.is_regular_file()) fs::copy_file(entry.path(), to / entry.path().filename());
  }
}

// The lines of a server's --request-log: request number -> "METHOD PATH STATUS FAULT".
std::map<int, std::string> RequestLog(const fs::path& file) {
  std::map<int, std::string> lines;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    int n = 0;
    fields >> n;
    std::string rest;
    std::getline(fields, rest);
    lines[n] = rest;
  }
  return lines;
}

// What is wrong with the server's copy beyond the inventory: a blob whose
// chunks overlap, leave a gap, or do not hash to its name; an item whose
// blob is missing or incomplete. Empty when all is well.
std::vector<std::string> ServerStoreProblems(const std::string& data_dir) {
  std::vector<std::string> problems;
  auto db = storage::Db::Open("file:" + data_dir + "/server.db?mode=ro", SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
  REQUIRE_MESSAGE(db, db.error().ToString());
  sqlite3* handle = (*db)->get();
  sqlite3_busy_timeout(handle, 5000);
  std::map<std::string, std::pair<int64_t, bool>> blobs;  // sha -> size, complete
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(handle, "SELECT sha256, size, complete FROM blobs", -1, &st, nullptr) == SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    blobs[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] = {sqlite3_column_int64(st, 1),
                                                                        sqlite3_column_int(st, 2) != 0};
  }
  sqlite3_finalize(st);
  for (const auto& [sha, state] : blobs) {
    REQUIRE(sqlite3_prepare_v2(handle, "SELECT offset, data FROM blob_chunks WHERE sha256 = ? ORDER BY offset", -1, &st,
                               nullptr) == SQLITE_OK);
    sqlite3_bind_text(st, 1, sha.c_str(), -1, SQLITE_TRANSIENT);
    platform::Sha256 hasher;
    int64_t end = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
      const int64_t offset = sqlite3_column_int64(st, 0);
      if (offset != end) problems.push_back("blob " + sha + ": a chunk at " + std::to_string(offset) + ", expected " + std::to_string(end));
      const int length = sqlite3_column_bytes(st, 1);
      hasher.Update(std::string_view(static_cast<const char*>(sqlite3_column_blob(st, 1)), static_cast<size_t>(length)));
      end = offset + length;
    }
    sqlite3_finalize(st);
    if (state.second && (end != state.first || platform::ToHex(hasher.Finish()) != sha)) {
      problems.push_back("blob " + sha + ": complete but its chunks do not make its bytes");
    }
  }
  REQUIRE(sqlite3_prepare_v2(handle, "SELECT uid, blob_sha256 FROM items WHERE blob_sha256 IS NOT NULL", -1, &st,
                             nullptr) == SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const std::string uid = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    const std::string sha = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    auto blob = blobs.find(sha);
    if (blob == blobs.end() || !blob->second.second) problems.push_back("item " + uid + ": its blob is not complete");
  }
  sqlite3_finalize(st);
  return problems;
}

// A template made once: a captured vault with a remote "home", and the
// server's data for account "phone" (for a recovery: pushed, then wiped).
// Each placement runs on a fresh copy of both.
struct Template {
  testing::Handset h;
  fs::path token_file = h.dir / "token";
  fs::path server_data = h.dir / "server";
  fs::path vault_dir = h.dir / "vault-template";

  explicit Template(bool recovery) {
    testing::WriteTokenFile(token_file, testing::AddAccount(server_data.string(), "phone"));
    TrimPhotos();
    ProcessResult capture = h.Holdfast({"capture"});
    REQUIRE_MESSAGE(capture.exit_code == kExitOk, (capture.out + capture.err));
    REQUIRE(h.Holdfast({"remote", "add", "home", "--url", "http://127.0.0.1:1", "--account", "phone", "--token-file",
                        token_file.string()})
                .exit_code == kExitOk);
    if (recovery) {
      {
        testing::ServerProcess server(server_data.string());
        SetUrl(h.config, server.url());
        ProcessResult push = h.Holdfast({"push"});
        REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err));
      }
      ProcessResult wiped = RunProcess({testing::ServerBinary(), "wipe", "--data", server_data.string(), "--account", "phone"});
      REQUIRE_MESSAGE(wiped.exit_code == 0, wiped.err);
    }
    fs::create_directories(vault_dir);
    for (const auto& entry : fs::directory_iterator(h.dir.path())) {
      const std::string name = entry.path().filename().string();
      if ((name == "vault.db" || name == "vault.db-wal") && entry.is_regular_file()) fs::copy_file(entry.path(), vault_dir / name);
    }
  }

  // Fewer requests per run (so more placements fit in CI's time): four of
  // the small profile's photos, plus one of two chunks, so that a fault can
  // fall between the chunks of a blob.
  void TrimPhotos() {
    std::vector<fs::path> photos;
    for (const auto& entry : fs::recursive_directory_iterator(h.tree / "photos")) {
      if (entry.is_regular_file()) photos.push_back(entry.path());
    }
    std::sort(photos.begin(), photos.end());
    for (size_t i = 0; i < photos.size(); ++i) {
      if (i % 5 != 0) fs::remove(photos[i]);
    }
    std::string big(4500000, '\0');
    std::mt19937_64 rng(11);
    for (char& c : big) c = static_cast<char>(rng());
    testing::WriteFileBytes(h.tree / "photos/DCIM/Camera/IMG_20200101_120000_9.jpg", big);
  }

  static void SetUrl(const std::string& config_path, const std::string& url) {
    nlohmann::json config = nlohmann::json::parse(testing::ReadFileBytes(config_path));
    config["remotes"][0]["url"] = url;
    testing::WriteFileBytes(config_path, config.dump(2));
  }
};

// One run of `command` (push or recover) against a fresh copy of the
// template, with `faults` on the server.
struct Placement {
  testing::TempDir dir;
  std::string vault = (dir / "vault.db").string();
  std::string config = (dir / "config.json").string();
  fs::path data = dir / "server";
  fs::path log = dir / "requests.log";
  std::unique_ptr<testing::ServerProcess> server;

  Placement(const Template& t, const std::string& faults) {
    for (const auto& entry : fs::directory_iterator(t.vault_dir)) {
      fs::copy_file(entry.path(), dir / entry.path().filename());
    }
    fs::copy_file(t.h.config, config);
    CopyFolder(t.server_data, data);
    std::vector<std::string> args = {"--request-log", log.string()};
    if (!faults.empty()) args.insert(args.end(), {"--faults", faults});
    server = std::make_unique<testing::ServerProcess>(data.string(), args);
    Template::SetUrl(config, server->url());
  }
  ProcessResult Holdfast(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {testing::HoldfastBinary(), "--vault", vault, "--config", config};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  }
  // What is not as it should be once the run converged; empty when all is well.
  std::vector<std::string> Problems() const {
    std::vector<std::string> problems = ServerStoreProblems(data.string());
    const testing::Inventory in_vault = testing::VaultInventory(vault);
    const testing::Inventory on_server = testing::ServerInventory(data.string());
    for (const auto& [id, entry] : in_vault) {
      auto there = on_server.find(id);
      if (there == on_server.end()) problems.push_back("collection " + id + " missing on the server");
      else if (there->second != entry) problems.push_back("collection " + id + ": vault " + entry + ", server " + there->second);
    }
    for (const auto& [id, entry] : on_server) {
      if (in_vault.count(id) == 0) problems.push_back("collection " + id + " on the server only: " + entry);
    }
    ProcessResult verify = Holdfast({"verify"});
    if (verify.exit_code != kExitOk)
      problems.push_back("verify exit " + std::to_string(verify.exit_code) + ": " + verify.out);
    return problems;
  }
};

std::string First(const std::vector<std::string>& problems) { return problems.empty() ? "" : problems.front(); }

struct Outcome {
  int first_exit = -1;
  int runs = 0;
  bool fault_hit = false;
  std::vector<std::string> problems;
};

// Runs `command` with `fault` at request `at`, then again (no fault is
// scheduled past `at`) until it exits 0, at most 3 more times.
Outcome RunPlacement(const Template& t, const std::string& command, const std::string& fault, int at) {
  Placement p(t, fault.empty() ? "" : "at=" + std::to_string(at) + ":" + fault);
  Outcome outcome;
  ProcessResult run;
  do {
    run = p.Holdfast({command});
    if (outcome.runs == 0) outcome.first_exit = run.exit_code;
    ++outcome.runs;
    if (run.exit_code != kExitOk) {
      // A failed run says what failed, with an exit status of docs/errors.md.
      CHECK_MESSAGE(run.exit_code == kExitRemote, command << " with " << fault << " at " << at << ": exit "
                                                          << run.exit_code << "\n"
                                                          << run.out << run.err);
      CHECK_MESSAGE((run.err.find("network-error") != std::string::npos ||
                     run.err.find("server-error") != std::string::npos || run.out.find("NOT verified") != std::string::npos),
                    (run.out + run.err));
    }
  } while (run.exit_code != kExitOk && outcome.runs < 4);
  if (run.exit_code != kExitOk) outcome.problems.push_back("did not converge in 4 runs: " + run.out + run.err);
  if (!fault.empty()) {
    const std::map<int, std::string> log = RequestLog(p.log);
    auto line = log.find(at);
    const std::string kind = fault.substr(0, fault.find(':'));
    outcome.fault_hit = line != log.end() && line->second.find(kind) != std::string::npos;
  }
  // The server is stopped before its store is read: nothing else has it open.
  p.server.reset();
  std::vector<std::string> problems = p.Problems();
  outcome.problems.insert(outcome.problems.end(), problems.begin(), problems.end());
  if (command == "recover" || command == "push") {
    nlohmann::json status = nlohmann::json::parse(p.Holdfast({"status", "--json"}).out);
    const nlohmann::json& remote = status["remotes"][0];
    if (!remote["recovery_in_progress"].is_null()) outcome.problems.push_back("a recovery is still in progress");
    if (command == "recover" && remote["last_recovery"]["verified"] != true) {
      outcome.problems.push_back("the recovery is not verified: " + remote.dump());
    }
    if (remote["pending_puts"] != 0) outcome.problems.push_back("pending puts left: " + remote.dump());
  }
  return outcome;
}

// The number of requests of a clean run, from the server's log.
int CleanRequestCount(const Template& t, const std::string& command) {
  Placement p(t, "");
  ProcessResult run = p.Holdfast({command});
  REQUIRE_MESSAGE(run.exit_code == kExitOk, (run.out + run.err));
  const std::vector<std::string> problems = p.Problems();
  CHECK_MESSAGE(problems.empty(), First(problems));
  return static_cast<int>(RequestLog(p.log).size());
}

void Sweep(const std::string& command) {
  const Template t(command == "recover");
  const int requests = CleanRequestCount(t, command);
  MESSAGE("a clean " << command << " of the trimmed small handset makes " << requests << " requests"
                    << std::string(FullSweep() ? " (full sweep)" : ""));
  REQUIRE(requests > 5);
  const auto started = std::chrono::steady_clock::now();
  for (const KindPlan& plan : kKinds) {
    const std::string fault = plan.fault;
    const std::vector<int> indexes = IndexesFor(plan, command == "recover", requests);
    int failed_first = 0, hit = 0;
    for (int at : indexes) {
      CAPTURE(fault);
      CAPTURE(at);
      Outcome outcome = RunPlacement(t, command, fault, at);
      if (outcome.first_exit != kExitOk) ++failed_first;
      if (outcome.fault_hit) ++hit;
      CHECK_MESSAGE(outcome.problems.empty(), outcome.problems.size() << " problems, first: " << First(outcome.problems));
      // One fault is absorbed by the retries: the run itself succeeds.
      CHECK_MESSAGE(outcome.first_exit == kExitOk, "a single " << fault << " at request " << at << " failed the run");
    }
    MESSAGE(command << ", " << fault << ": " << indexes.size() << " placements, the fault hit in " << hit << ", "
                    << failed_first << " first runs failed");
    CHECK(hit == static_cast<int>(indexes.size()));
  }
  MESSAGE(command << " sweep took "
                  << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count()
                  << " s");
}

TEST_CASE("a fault schedule the server cannot use is refused, naming the bad entry") {
  testing::TempDir dir;
  testing::AddAccount((dir / "s").string(), "phone");
  for (const std::string spec : {"at=0:reset_after", "at=3:nonsense", "at=3:latency", "at=x:truncate",
                                 "at=3:reset_after,at=3:truncate", "at=3"}) {
    CAPTURE(spec);
    ProcessResult refused = RunProcess({testing::ServerBinary(), "serve", "--data", (dir / "s").string(), "--listen",
                                        "127.0.0.1:0", "--faults", spec});
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("invalid-argument: --faults:") != std::string::npos);
    CHECK(refused.out.find("listening") == std::string::npos);
  }
}

TEST_CASE("a push with one server fault at any request converges to the vault by SHA-256") { Sweep("push"); }

TEST_CASE("a recovery with one server fault at any request converges and is verified by read-back") {
  Sweep("recover");
}

TEST_CASE("negative control: the convergence check catches a server that drops items it acknowledged") {
  const Template t(false);
  // Every batch answered "stored" for its inline items, none kept: the
  // push believes it is done, and only the check sees the difference.
  std::string faults;
  for (int at = 1; at <= 60; ++at) faults += (faults.empty() ? "" : ",") + ("at=" + std::to_string(at) + ":drop");
  Placement p(t, faults);
  ProcessResult push = p.Holdfast({"push"});
  CHECK_MESSAGE(push.exit_code == kExitOk, (push.out + push.err));  // the client cannot know
  const std::vector<std::string> problems = p.Problems();
  REQUIRE_FALSE(problems.empty());
  CHECK(problems.front().find("collection ") != std::string::npos);
  MESSAGE("the check reported " << problems.size() << " differences, first: " << problems.front());
  // One batch dropped: still caught. The first batch of a clean push holds
  // inline items (photos, in blobs, go last).
  int batch = 0;
  {
    Placement clean(t, "");
    REQUIRE(clean.Holdfast({"push"}).exit_code == kExitOk);
    for (const auto& [n, line] : RequestLog(clean.log)) {
      if (batch == 0 && line.find("/batch ") != std::string::npos) batch = n;
    }
    REQUIRE(batch > 0);
  }
  Placement one(t, "at=" + std::to_string(batch) + ":drop");
  REQUIRE(one.Holdfast({"push"}).exit_code == kExitOk);
  const std::map<int, std::string> log = RequestLog(one.log);
  REQUIRE(log.count(batch) == 1);
  REQUIRE_MESSAGE(log.at(batch).find("/batch 200 drop") != std::string::npos, log.at(batch));
  const std::vector<std::string> one_problems = one.Problems();
  CHECK_FALSE(one_problems.empty());
  MESSAGE("one dropped batch: " << First(one_problems));
}

TEST_CASE("negative control: the check catches a client that reports a push done that is not") {
  // Wrong clients, played by editing the server's store after a good push:
  // one that skipped items, one that sent stale bytes for an item, one that
  // resent a blob chunk the server then stored at the wrong offset.
  const Template t(false);
  const std::vector<std::pair<std::string, std::string>> wrongs = {
      {"skipped items", "DELETE FROM items WHERE rowid IN (SELECT rowid FROM items LIMIT 3)"},
      {"stale bytes", "UPDATE items SET sha256 = '" + std::string(64, '0') +
                          "' WHERE rowid = (SELECT min(rowid) FROM items WHERE blob_sha256 IS NULL)"},
      {"a chunk at the wrong offset", "UPDATE blob_chunks SET offset = offset + 1 WHERE rowid = (SELECT min(rowid) FROM blob_chunks)"}};
  for (const auto& [what, sql] : wrongs) {
    CAPTURE(what);
    Placement p(t, "");
    REQUIRE(p.Holdfast({"push"}).exit_code == kExitOk);
    REQUIRE(p.Problems().empty());
    p.server.reset();
    {
      auto db = storage::Db::Open("file:" + p.data.string() + "/server.db", SQLITE_OPEN_READWRITE);
      REQUIRE(db);
      REQUIRE((*db)->Exec(sql).ok());
      REQUIRE(sqlite3_changes((*db)->get()) == (what == "skipped items" ? 3 : 1));
    }
    const std::vector<std::string> problems = p.Problems();
    CHECK_FALSE(problems.empty());
    MESSAGE(what << ": " << problems.size() << " problems reported, first: " << First(problems));
  }
}

}  // namespace
}  // namespace holdfast
