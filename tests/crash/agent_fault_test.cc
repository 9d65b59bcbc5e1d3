// The agent (`holdfast run`, issue 15) under faults that last: a full disk
// under its vault, a server that stays down for days, a wall clock that
// jumps forward and back. The agent is the real binary; the disk is a small
// tmpfs (as in disk_full_test.cc), the server the reference holdfast-server,
// and the clock is moved with libfaketime (LD_PRELOAD, the Debian package
// faketime) through a timestamp file the test rewrites while the agent runs.
//
// The clock: FAKETIME_DONT_FAKE_MONOTONIC=1 moves the wall clock only, as a
// suspend of days or an NTP step does on a device (CLOCK_MONOTONIC does not
// count suspend and is never set). The agent's timers run on the monotonic
// clock (platform::SteadyMs); its "since when" judgements (the unreachable
// alert, the dates in its state) on the wall clock.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>
#include <thread>

#include "agent/exit_codes.h"
#include "storage/sqlite_handle.h"
#include "tests/crash/agent_harness.h"
#include "tests/crash/small_disk.h"
#include "tests/support/loopback.h"
#include "tests/support/inventory.h"
#include "tests/support/server_process.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitOk;
using testing::Describe;
using testing::Problems;
using testing::SmallDisk;

constexpr const char* kRemote = "home";

// Bytes of the files under `root`.
int64_t TreeBytes(const fs::path& root) {
  int64_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) total += static_cast<int64_t>(entry.file_size());
  }
  return total;
}

// Moves a (closed) vault to `to` in one piece.
void MoveVault(testing::Handset& h, const fs::path& to) {
  {
    auto db = storage::Db::Open("file:" + h.vault, SQLITE_OPEN_READONLY);
    REQUIRE(db);
    REQUIRE((*db)->Exec("VACUUM INTO '" + to.string() + "'").ok());
  }
  h.vault = to.string();
}

// The alerts the alert command wrote, one summary per line.
std::vector<std::string> Alerts(const fs::path& file) {
  std::vector<std::string> lines;
  std::istringstream in(testing::ReadFileBytes(file));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

int CountContaining(const std::vector<std::string>& lines, const std::string& text) {
  int n = 0;
  for (const std::string& l : lines) n += l.find(text) != std::string::npos;
  return n;
}

TEST_CASE("a full disk under the vault: the agent reports it, keeps running, backs off, and captures all later") {
  testing::Handset h(false, 51);
  const fs::path log = h.dir / "agent.log", alerts = h.dir / "alerts.txt";
  // Room for the vault of the whole handset twice over, and new photos' worth.
  SmallDisk disk(3 * TreeBytes(h.tree) + (16 << 20));
  if (!disk.mounted()) {
    MESSAGE("SKIPPED: cannot mount a tmpfs (needs root, as CI has): " << disk.error());
    return;
  }
  MoveVault(h, disk.path() / "vault.db");
  testing::SetAgentSettings(h.config, testing::QuickAgentSettings(alerts));

  // 1. The first capture, with room.
  {
    testing::AgentProcess agent(h.vault, h.config, log);
    REQUIRE_MESSAGE(agent.WaitForLog("captured ", 30), agent.Log());
    REQUIRE(WIFEXITED(agent.Stop()));
  }
  const testing::ItemShas acknowledged = testing::VaultLiveItems(h.vault);
  REQUIRE(testing::HandsetInVault(h).empty());

  // 2. The disk fills while the agent runs; the phone changes (a new photo
  //    larger than what is left).
  testing::AgentProcess agent(h.vault, h.config, log);
  REQUIRE(agent.WaitForLog("started:", 10));
  disk.Fill(4096);
  std::mt19937_64 rng(51);
  testing::UseThePhone(h, rng, 1);
  testing::WriteFileBytes(h.tree / "photos" / "big-after-full.jpg", std::string(1 << 20, 'x'));
  // Reported: a log line naming the failure and when it tries again, an
  // alert; then it backs off and tries again, still running.
  CHECK_MESSAGE(agent.WaitForLog("capture failed: ", 30), agent.Log());
  CHECK_MESSAGE(agent.WaitForLog("no-space", 1), agent.Log());
  CHECK_MESSAGE(agent.WaitForLog("ALERT Holdfast could not capture", 5), agent.Log());
  const size_t first_failure = agent.Log().find("capture failed: ");
  CHECK_MESSAGE(agent.WaitForLog("capture failed: ", 30, first_failure + 1), agent.Log());
  CHECK(agent.Running());
  const std::vector<std::string> during = Alerts(alerts);
  CHECK_MESSAGE(CountContaining(during, "could not capture") == 1, testing::ReadFileBytes(alerts));
  // What it says about the source must not blame the device: the failure is
  // the vault's disk.
  CHECK_MESSAGE(agent.Log().find("cannot be read") == std::string::npos, agent.Log());

  // 3. Space returns: the next retry captures everything.
  const size_t before_free = agent.Log().size();
  disk.Unfill();
  CHECK_MESSAGE(agent.WaitForLog("captured ", 30, before_free), agent.Log());
  const int stopped = agent.Stop();
  CHECK_MESSAGE((WIFEXITED(stopped) && WEXITSTATUS(stopped) == kExitOk), agent.Log());
  Problems problems = testing::HandsetInVault(h);
  const Problems missing = testing::MissingRevisions(h.vault, acknowledged);
  problems.insert(problems.end(), missing.begin(), missing.end());
  const Problems verify = testing::VaultVerifies(h.vault);
  problems.insert(problems.end(), verify.begin(), verify.end());
  CHECK_MESSAGE(problems.empty(), Describe(problems) << "\n" << agent.Log());
  // The capture alert is over once a capture succeeded.
  const nlohmann::json status = h.Status();
  REQUIRE(status.contains("agent"));
  for (const auto& alert : status["agent"]["alerts"]) {
    CHECK_MESSAGE(alert.dump().find("could not capture") == std::string::npos, status.dump(2));
  }
}

// A TCP port on 127.0.0.1 that nothing listens on (the kernel's pick, let go).
int FreePort() {
  int port = 0;
  close(testing::BindLoopback(&port));
  return port;
}

std::string FaketimeLibrary() {
  for (const char* dir : {"/usr/lib/x86_64-linux-gnu/faketime", "/usr/lib/aarch64-linux-gnu/faketime",
                          "/usr/lib/faketime"}) {
    const fs::path lib = fs::path(dir) / "libfaketimeMT.so.1";
    if (fs::exists(lib)) return lib.string();
  }
  return "";
}

// The retries' waits, in order: (failure number, seconds).
std::vector<std::pair<int, int>> Retries(const std::string& log) {
  static const std::regex kRetry(R"(\(failure (\d+); again in (\d+) s\))");
  std::vector<std::pair<int, int>> waits;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), kRetry); it != std::sregex_iterator(); ++it) {
    waits.emplace_back(std::stoi((*it)[1].str()), std::stoi((*it)[2].str()));
  }
  return waits;
}

TEST_CASE("a server down for days and a wall clock that jumps: backoff, one alert, then everything pushed") {
#ifdef HOLDFAST_SANITIZED_BUILD
  MESSAGE("SKIPPED: libfaketime cannot be preloaded before the sanitizers' runtime");
  return;
#endif
  const std::string faketime = FaketimeLibrary();
  REQUIRE_MESSAGE(!faketime.empty(), "libfaketime is missing: install the Debian package faketime (tools/dev.sh)");
  testing::Handset h(false, 52);
  const fs::path log = h.dir / "agent.log", alerts = h.dir / "alerts.txt", clock = h.dir / "faketime.rc";
  const std::string data = (h.dir / "server").string();
  const fs::path token_file = h.dir / "token";
  testing::WriteTokenFile(token_file, testing::AddAccount(data, "phone"));
  const int port = FreePort();
  REQUIRE(h.Holdfast({"remote", "add", kRemote, "--url", "http://127.0.0.1:" + std::to_string(port), "--account",
                      "phone", "--token-file", token_file.string()})
              .exit_code == kExitOk);
  nlohmann::json settings = testing::QuickAgentSettings(alerts);
  settings["retry_max_s"] = 4;
  settings["unreachable_alert_h"] = 48;
  testing::SetAgentSettings(h.config, settings);
  testing::WriteFileBytes(clock, "+0\n");
  const std::vector<std::string> prefix = {"/usr/bin/env", "LD_PRELOAD=" + faketime,
                                           "FAKETIME_TIMESTAMP_FILE=" + clock.string(), "FAKETIME_NO_CACHE=1",
                                           "FAKETIME_DONT_FAKE_MONOTONIC=1",
                                           // files keep their real times, as after a real clock step
                                           "NO_FAKE_STAT=1"};
  testing::AgentProcess agent(h.vault, h.config, log, prefix);

  // 1. The server is down: the agent captures, and retries with growing
  //    waits, capped at retry_max_s; no alert while the wall clock says
  //    less than unreachable_alert_h has passed.
  REQUIRE_MESSAGE(agent.WaitForLog("captured ", 30), agent.Log());
  REQUIRE_MESSAGE(agent.WaitForLog("(failure 4;", 30), agent.Log());
  // 2. A day passes by the wall clock (a suspended laptop): still no alert.
  testing::WriteFileBytes(clock, "+1d\n");
  const size_t day_one = agent.Log().size();
  REQUIRE_MESSAGE(agent.WaitForLog("(failure 6;", 30, day_one), agent.Log());
  CHECK_MESSAGE(agent.CountLog("ALERT") == 0, agent.Log());
  CHECK(Alerts(alerts).empty());
  // 3. Three days: one "not reached" alert, and only one however long it lasts.
  testing::WriteFileBytes(clock, "+3d\n");
  CHECK_MESSAGE(agent.WaitForLog("ALERT Server 'home' not reached for a long time", 30), agent.Log());
  const size_t alerted = agent.Log().size();
  testing::WriteFileBytes(clock, "+5d\n");
  CHECK_MESSAGE(agent.WaitForLog("(failure 10;", 40, alerted), agent.Log());
  CHECK_MESSAGE(agent.CountLog("ALERT Server 'home' not reached") == 1, agent.Log());
  CHECK_MESSAGE(CountContaining(Alerts(alerts), "not reached") == 1, testing::ReadFileBytes(alerts));

  const std::vector<std::pair<int, int>> waits = Retries(agent.Log());
  REQUIRE(waits.size() >= 10);
  int expected = 0, longest = 0;
  std::string shown;
  for (const auto& [failure, seconds] : waits) {
    // Failures count up one by one; each wait is within its ceiling
    // (retry_min_s doubled per failure, capped at retry_max_s).
    CHECK(failure == ++expected);
    const int ceiling = std::min(1 << std::min(failure - 1, 20), 4);
    CHECK_MESSAGE(seconds <= ceiling, "failure " << failure << " waits " << seconds << " s");
    longest = std::max(longest, seconds);
    shown += std::to_string(seconds) + " ";
  }
  MESSAGE("retry waits (s, truncated): " << shown);
  // The ceiling grew: some wait went past retry_min_s (each is drawn at
  // random below its ceiling; with ten draws, all <= 1 s has odds below 1e-3).
  CHECK(longest > 1);

  // 4. The server comes back: the agent pushes everything, the alert closes.
  testing::ChildProcess server({testing::ServerBinary(), "serve", "--data", data, "--listen",
                                "127.0.0.1:" + std::to_string(port)},
                               testing::ChildOptions{true, (h.dir / "server.log").string()});
  CHECK_MESSAGE(agent.WaitForLog("home: pushed: ", 30, alerted), agent.Log());

  // 5. The wall clock goes back two days (an NTP step): captures go on.
  testing::WriteFileBytes(clock, "-2d\n");
  const size_t back = agent.Log().size();
  std::mt19937_64 rng(52);
  testing::UseThePhone(h, rng, 1);
  CHECK_MESSAGE(agent.WaitForLog("captured ", 30, back), agent.Log());
  CHECK_MESSAGE(agent.WaitForLog("home: pushed: ", 30, back), agent.Log());
  const int stopped = agent.Stop();
  CHECK_MESSAGE((WIFEXITED(stopped) && WEXITSTATUS(stopped) == kExitOk), agent.Log());

  Problems problems = testing::HandsetInVault(h);
  const Problems on_server = testing::ServerMatchesVault(h.vault, data);
  problems.insert(problems.end(), on_server.begin(), on_server.end());
  const Problems verify = testing::VaultVerifies(h.vault);
  problems.insert(problems.end(), verify.begin(), verify.end());
  CHECK_MESSAGE(problems.empty(), Describe(problems) << "\n" << agent.Log());
  const nlohmann::json status = h.Status();
  REQUIRE(status.contains("agent"));
  const nlohmann::json& remotes = status["agent"]["remotes"];
  REQUIRE(remotes.size() == 1);
  CHECK_MESSAGE(remotes[0]["last_ok"] == true, status.dump(2));
  CHECK_MESSAGE(remotes[0]["failures"] == 0, status.dump(2));
  for (const auto& alert : status["agent"]["alerts"]) {
    CHECK_MESSAGE(alert.dump().find("not reached") == std::string::npos, status.dump(2));
  }
  const testing::ProcessResult check = h.Holdfast({"check"});
  CHECK_MESSAGE(check.exit_code == kExitOk, check.out << check.err);
}

TEST_CASE("a server that answers 503 with a long Retry-After is not asked again before that time") {
  testing::Handset h(false, 53);
  const fs::path log = h.dir / "agent.log", alerts = h.dir / "alerts.txt";
  const fs::path token_file = h.dir / "token";
  testing::WriteTokenFile(token_file, "a-token-the-server-never-reads");
  // A server in maintenance: every request gets 503 and "Retry-After: 45",
  // and each request it gets is counted in a file.
  const fs::path hits = h.dir / "hits";
  const int port = FreePort();
  const std::string script =
      "import http.server, sys\n"
      "class H(http.server.BaseHTTPRequestHandler):\n"
      "    def answer(self):\n"
      "        open(sys.argv[2], 'a').write(self.command + ' ' + self.path + '\\n')\n"
      "        self.send_response(503); self.send_header('Retry-After', '45')\n"
      "        self.send_header('Content-Length', '0'); self.end_headers()\n"
      "    do_GET = do_POST = do_PUT = do_DELETE = answer\n"
      "    def log_message(self, *args): pass\n"
      "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n";
  testing::ChildProcess server({"/usr/bin/python3", "-c", script, std::to_string(port), hits.string()},
                               testing::ChildOptions{true, (h.dir / "server.log").string()});
  REQUIRE(h.Holdfast({"remote", "add", kRemote, "--url", "http://127.0.0.1:" + std::to_string(port), "--account",
                      "phone", "--token-file", token_file.string()})
              .exit_code == kExitOk);
  nlohmann::json settings = testing::QuickAgentSettings(alerts);
  settings["retry_min_s"] = 1;
  settings["retry_max_s"] = 2;  // without the server's word the agent would try again within 2 s
  testing::SetAgentSettings(h.config, settings);
  testing::AgentProcess agent(h.vault, h.config, log);
  REQUIRE_MESSAGE(agent.WaitForLog("(failure 1;", 60), agent.Log());
  const std::vector<std::pair<int, int>> waits = Retries(agent.Log());
  REQUIRE(!waits.empty());
  CHECK_MESSAGE(waits[0].second >= 45, agent.Log());
  // And it does not: no request reaches the server in the next 5 s.
  const std::string seen = testing::ReadFileBytes(hits);
  std::this_thread::sleep_for(std::chrono::seconds(5));
  CHECK(testing::ReadFileBytes(hits) == seen);
  CHECK_MESSAGE(agent.CountLog("(failure 2;") == 0, agent.Log());
  const int stopped = agent.Stop();
  CHECK((WIFEXITED(stopped) && WEXITSTATUS(stopped) == kExitOk));
}

}  // namespace
}  // namespace holdfast
