// `holdfast run` as a user runs it (issue 15): the real agent as a child
// process, a generated handset, the real reference server on 127.0.0.1. The
// test changes the device's folders and waits (polling the server's store, the
// agent's state file "<vault>.agent.json" and its log, never a fixed sleep)
// for each change to reach the vault and the server; kills, stops, reloads and
// restarts the agent on the way; runs the other commands beside it; and checks
// that its alerts reach an alert command and a real notification server
// (dunst, under Xvfb, on a session bus of its own).
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <poll.h>
#include <sys/un.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <thread>

#include "agent/exit_codes.h"
#include "platform/clock.h"
#include "platform/control_socket.h"
#include "tests/support/child_process.h"
#include "tests/support/handset.h"
#include "tests/support/inventory.h"
#include "tests/support/server_process.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitLocked;
using agent::kExitOk;
using nlohmann::json;
using testing::Handset;
using testing::Inventory;
using testing::ProcessResult;
using testing::RunProcess;
using Clock = std::chrono::steady_clock;

// Polls `condition` every 50 ms for up to `timeout_s`; false (and a failed
// check naming `what` and showing `context()`) when it never held.
bool WaitFor(const std::string& what, const std::function<bool()>& condition, int timeout_s,
             const std::function<std::string()>& context) {
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  while (!condition()) {
    if (Clock::now() > deadline) {
      FAIL_CHECK("timed out after " << timeout_s << " s waiting for: " << what << "\n" << context());
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

int64_t TotalItems(const Inventory& inventory) {
  int64_t total = 0;
  for (const auto& [id, entry] : inventory) total += std::stoll(entry);
  return total;
}

// A handset (five sources), a server with an account "phone", a remote "home".
struct World {
  Handset h;
  std::string data = (h.dir / "server").string();
  std::string token = testing::AddAccount(data, "phone");
  fs::path token_file = h.dir / "token";
  std::unique_ptr<testing::ServerProcess> server;

  explicit World(const std::vector<std::string>& server_args = {}) {
    testing::WriteTokenFile(token_file, token);
    server = std::make_unique<testing::ServerProcess>(data, server_args);
    ProcessResult added = h.Holdfast({"remote", "add", "home", "--url", server->url(), "--account", "phone",
                                      "--token-file", token_file.string()});
    REQUIRE_MESSAGE(added.exit_code == kExitOk, added.err);
    // Short debounce: the test waits less; the defaults are for a phone.
    SetAgent({{"debounce_ms", 200}, {"max_delay_ms", 1000}, {"desktop_notifications", false}});
  }
  // Sets keys of the config's "agent" object.
  void SetAgent(const json& settings) {
    json config = json::parse(testing::ReadFileBytes(h.config));
    for (const auto& [key, value] : settings.items()) config["agent"][key] = value;
    testing::WriteFileBytes(h.config, config.dump(2));
  }
  // Restarts the server on the same data, with other arguments; the remote follows its new port.
  void RestartServer(const std::vector<std::string>& args) {
    const std::string old_url = server->url();
    server.reset();
    server = std::make_unique<testing::ServerProcess>(data, args);
    std::string config = testing::ReadFileBytes(h.config);
    config.replace(config.find(old_url), old_url.size(), server->url());
    testing::WriteFileBytes(h.config, config);
  }
  Inventory OnServer() const { return testing::ServerInventory(data, "phone"); }
  // The vault's inventory while an agent may hold the vault: asks it to make
  // way, as every command does, for as long as the inventory is read.
  Inventory InVault() const {
    Result<platform::UniqueFd> connection = platform::ConnectControl(platform::ControlSocketName(h.vault));
    if (connection) {
      Status yielded = platform::AskToYield(connection->get(), 60000);
      REQUIRE_MESSAGE(yielded.ok(), yielded.ToString());
    }
    return testing::VaultInventory(h.vault);
  }
};

// One `holdfast run`: stdout and stderr appended to `log`.
class Agent {
 public:
  Agent(const World& w, std::vector<std::string> wrapper = {}) : w_(w), wrapper_(std::move(wrapper)) {}
  void Start() {
    mark_ = testing::ReadFileBytes(log_path()).size();
    std::vector<std::string> argv = wrapper_;
    for (const std::string& a :
         {testing::HoldfastBinary(), std::string("--vault"), w_.h.vault, std::string("--config"), w_.h.config,
          std::string("run")}) {
      argv.push_back(a);
    }
    testing::ChildOptions options;
    options.output_file = log_path().string();
    options.own_process_group = !wrapper_.empty();
    child_ = std::make_unique<testing::ChildProcess>(argv, options);
    Await("the agent started", [&] { return Log().find("holdfast run: started") != std::string::npos; });
  }
  fs::path log_path() const { return w_.h.dir / "agent.log"; }
  // The log since the last Start.
  std::string Log() const { return testing::ReadFileBytes(log_path()).substr(mark_); }
  json State() const {
    std::string text = testing::ReadFileBytes(w_.h.vault + ".agent.json");
    json state = json::parse(text, nullptr, false);
    return state.is_discarded() ? json::object() : state;
  }
  bool HasAlert(const std::string& id_prefix) const {
    json state = State();
    if (!state.contains("alerts")) return false;
    for (const json& a : state["alerts"]) {
      if (a.value("id", "").rfind(id_prefix, 0) == 0) return true;
    }
    return false;
  }
  bool Await(const std::string& what, const std::function<bool()>& condition, int timeout_s = 30) {
    return WaitFor(what, condition, timeout_s, [&] {
      return "agent log:\n" + Log() + "\nagent state:\n" + State().dump(1);
    });
  }
  // Until the server holds `total` live items, each of the `changed`
  // collections ({source, name}) differs there from `before`, the agent is
  // idle and the vault's inventory equals the server's.
  void AwaitSynced(const std::string& what, int64_t total, const Inventory& before = {},
                   const std::vector<std::pair<std::string, std::string>>& changed = {}, int timeout_s = 30) {
    const bool on_server = Await(what + ": " + std::to_string(total) + " items on the server", [&] {
      Inventory now = w_.OnServer();
      if (TotalItems(now) != total) return false;
      for (const auto& [source, name] : changed) {
        const std::string id = testing::RemoteCollectionIdOf(source, name);
        if (now[id] == before.at(id)) return false;
      }
      return true;
    }, timeout_s);
    REQUIRE(on_server);
    // Compared at most twice a second: each look makes the agent yield the vault.
    auto next_look = Clock::now();
    Await(what + ": the agent idle and the vault's inventory equal to the server's", [&] {
      if (Clock::now() < next_look || State().value("activity", "") != "idle") return false;
      next_look = Clock::now() + std::chrono::milliseconds(500);
      const Inventory server = w_.OnServer();
      return TotalItems(server) == total && w_.InVault() == server;
    }, timeout_s);
  }
  pid_t pid() const { return child_->pid(); }
  bool Running() { return child_->Running(); }
  void Signal(int signal) { REQUIRE(kill(child_->pid(), signal) == 0); }
  void Kill() { child_->KillAndWait(); }
  // SIGTERM; the exit code (Wait's), and how long it took in `seconds`.
  int Stop(double* seconds = nullptr) {
    const auto start = Clock::now();
    if (wrapper_.empty()) {
      Signal(SIGTERM);
    } else {  // the agent itself, not the programs around it, which pass on its exit code
      REQUIRE(kill(State().value("pid", 0), SIGTERM) == 0);
    }
    const int code = child_->Wait(30);
    if (seconds) *seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return code;
  }

 private:
  const World& w_;
  std::vector<std::string> wrapper_;
  size_t mark_ = 0;
  std::unique_ptr<testing::ChildProcess> child_;
};

std::string Card(const std::string& uid, const std::string& name) {
  return "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + uid + "\r\nFN:" + name + "\r\nEND:VCARD\r\n";
}
std::string Event(const std::string& uid, const std::string& summary) {
  return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
         "\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240301T100000Z\r\nSUMMARY:" + summary +
         "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
}
std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    const uint64_t v = rng();
    for (size_t j = 0; j < 8 && i + j < n; ++j) bytes[i + j] = static_cast<char>(v >> (8 * j));
  }
  return bytes;
}
fs::path First(const fs::path& folder) { return testing::FilesIn(folder).at(0); }

TEST_CASE("the agent captures and pushes every change, survives SIGKILL, and stops on SIGTERM") {
  World w;
  Agent agent(w);
  agent.Start();
  // 590 items: 200 contacts, 300 events, 50 tasks, 20 notes, 20 photos.
  int64_t total = 590;
  agent.AwaitSynced("the first capture and push", total);

  const fs::path cards = w.h.tree / "contacts/personal";
  const fs::path events = w.h.tree / "calendars/home";
  const fs::path photos = w.h.tree / "photos";
  Inventory before = w.OnServer();
  // New, modified, deleted and renamed items of each kind.
  testing::WriteFileBytes(cards / "new-card.vcf", Card("agent-new-card", "New Card"));
  std::string edited = testing::ReadFileBytes(First(cards));
  edited.insert(edited.rfind("END:VCARD"), "NOTE:edited while the agent runs\r\n");
  testing::WriteFileBytes(First(cards), edited);
  fs::remove(testing::FilesIn(cards).at(1));
  fs::rename(testing::FilesIn(cards).at(2), cards / "renamed-card.vcf");
  // Written as editors and sync clients write: a temporary name, then rename.
  testing::WriteFileBytes(events / ".new-event.ics.tmp", Event("agent-new-event", "Written by rename"));
  fs::rename(events / ".new-event.ics.tmp", events / "new-event.ics");
  fs::remove(testing::FilesIn(events).at(3));
  total += 1 + 0 - 1 + 0 + 1 - 1;
  agent.AwaitSynced("vdir changes", total, before, {{"contacts", "personal"}, {"calendars", "home"}});
  CHECK(w.OnServer() != before);

  before = w.OnServer();
  std::vector<fs::path> pictures;
  for (const auto& e : fs::recursive_directory_iterator(photos)) {
    if (e.is_regular_file()) pictures.push_back(e.path());
  }
  std::sort(pictures.begin(), pictures.end());
  REQUIRE(pictures.size() == 20);
  fs::rename(pictures[0], pictures[0].parent_path() / "renamed.jpg");
  fs::remove(pictures[1]);
  testing::WriteFileBytes(pictures[2], RandomBytes(50000, 2));
  // A new folder of photos, made and filled while watched.
  fs::create_directories(photos / "2025/trip");
  testing::WriteFileBytes(photos / "2025/trip/a.jpg", RandomBytes(60000, 3));
  testing::WriteFileBytes(photos / "2025/trip/b.jpg", RandomBytes(70000, 4));
  total += 0 - 1 + 0 + 2;
  agent.AwaitSynced("photo changes", total, before, {{"photos", "photos"}});
  CHECK(w.OnServer() != before);

  // SIGKILL while it works on a burst of changes; the restart finds them all.
  for (int i = 0; i < 300; ++i) {
    testing::WriteFileBytes(cards / ("burst-" + std::to_string(i) + ".vcf"),
                            Card("burst-" + std::to_string(i), "Burst " + std::to_string(i)));
  }
  total += 300;
  agent.Await("work on the burst begun", [&] {
    return agent.State().value("activity", "") != "idle" || TotalItems(w.OnServer()) == total;
  });
  if (TotalItems(w.OnServer()) == total) MESSAGE("the burst was pushed before the kill");
  agent.Kill();
  testing::WriteFileBytes(photos / "2025/trip/c.jpg", RandomBytes(80000, 5));  // while it is down
  total += 1;
  agent.Start();
  agent.AwaitSynced("after SIGKILL and a restart", total);
  // No duplicates: the server's live items are exactly the device's.
  CHECK(TotalItems(w.OnServer()) == total);
  ProcessResult check = w.h.Holdfast({"check"});
  CHECK_MESSAGE(check.exit_code == kExitOk, (check.out + check.err));
  CHECK(check.out.find("healthy") != std::string::npos);

  CHECK(agent.Stop() == 0);
  CHECK(agent.Log().find("holdfast run: stopped") != std::string::npos);
  json state = agent.State();
  CHECK(state["running"] == false);
  json status = w.h.Status();
  CHECK(status["agent"]["running"] == false);
}

TEST_CASE("commands run beside a running agent, busy or idle, and a second agent is refused") {
  // Slow requests: the first push of 590 items lasts while the commands run.
  World w({"--faults", "seed=5,latency_ms=100"});
  Agent agent(w);
  agent.Start();
  agent.Await("the agent busy pushing", [&] {
    return agent.State().value("activity", "").rfind("pushing", 0) == 0;
  });

  ProcessResult second = RunProcess({testing::HoldfastBinary(), "--vault", w.h.vault, "--config", w.h.config, "run"});
  CHECK(second.exit_code == kExitLocked);
  CHECK_MESSAGE(second.err.find("an agent (holdfast run) already runs for this vault") != std::string::npos,
                second.err);

  const fs::path archive = w.h.dir / "all.tar";
  const std::vector<std::vector<std::string>> commands = {
      {"status"},  {"verify"}, {"export", "--format", "archive", "--to", archive.string()},
      {"check"},   {"capture"}, {"push"},
      {"restore-device"}, {"import", archive.string()}};
  for (const auto& command : commands) {
    ProcessResult run = w.h.Holdfast(command);
    INFO(testing::DescribeCommand(command), "\n", run.out, run.err);
    CHECK(run.err.find("in use") == std::string::npos);
    // check says "attention" while the first push is unfinished; all others succeed.
    if (command[0] == "check") {
      CHECK(run.exit_code != kExitLocked);
    } else {
      CHECK(run.exit_code == kExitOk);
    }
  }
  CHECK(agent.Running());
  agent.AwaitSynced("the first push finished beside the commands", 590, {}, {}, 60);
  // The agent goes on: a change after the commands is captured and pushed.
  testing::WriteFileBytes(w.h.tree / "contacts/personal/after.vcf", Card("after-commands", "After"));
  agent.AwaitSynced("a change after the commands", 591);
  CHECK(agent.Stop() == 0);
}

TEST_CASE("SIGTERM in the middle of a large transfer ends the agent within seconds; the restart completes it") {
  World w;
  REQUIRE(w.h.Holdfast({"capture"}).exit_code == kExitOk);
  ProcessResult pushed = w.h.Holdfast({"push"});
  REQUIRE_MESSAGE(pushed.exit_code == kExitOk, (pushed.out + pushed.err));
  // Photos of 4 MB each, to a server that takes half a second a request.
  w.RestartServer({"--faults", "seed=7,latency_ms=500"});
  for (int i = 0; i < 8; ++i) {
    testing::WriteFileBytes(w.h.tree / "photos" / ("big-" + std::to_string(i) + ".jpg"),
                            RandomBytes(4 << 20, 100 + i));
  }
  Agent agent(w);
  agent.Start();
  agent.Await("the push of the big photos begun", [&] {
    return agent.State().value("activity", "").rfind("pushing", 0) == 0;
  });
  double seconds = 0;
  CHECK(agent.Stop(&seconds) == 0);
  MESSAGE("SIGTERM mid-push: the agent ended in " << seconds << " s");
  CHECK(seconds < 10);
  CHECK(TotalItems(w.OnServer()) < 598);  // stopped before the end
  w.RestartServer({});
  agent.Start();
  agent.AwaitSynced("the push resumed after the restart", 598, {}, {}, 60);
  CHECK(agent.Stop() == 0);
}

TEST_CASE("SIGHUP takes a valid new config and keeps the old one when the new has an error") {
  World w;
  Agent agent(w);
  agent.Start();
  agent.AwaitSynced("the first push", 590);

  const fs::path extra = w.h.dir / "more-contacts/friends";
  fs::create_directories(extra);
  testing::WriteFileBytes(extra / "one.vcf", Card("extra-one", "Extra One"));
  ProcessResult added = w.h.Holdfast({"source", "add", "--kind", "contacts", (w.h.dir / "more-contacts").string(),
                                      "--name", "more"});
  REQUIRE_MESSAGE(added.exit_code == kExitOk, added.err);
  agent.Signal(SIGHUP);
  agent.Await("the new config taken", [&] { return agent.Log().find("config reloaded: 6 sources") != std::string::npos; });
  agent.AwaitSynced("the new source captured and pushed", 591);

  const std::string good = testing::ReadFileBytes(w.h.config);
  testing::WriteFileBytes(w.h.config, good.substr(0, good.size() / 2));  // cut short: not JSON
  agent.Signal(SIGHUP);
  agent.Await("the bad config refused", [&] { return agent.HasAlert("config"); });
  CHECK(agent.Log().find("config not reloaded, the old one is kept") != std::string::npos);
  CHECK(agent.State().value("config_problem", "") != "");
  // The old config (six sources) goes on being used.
  testing::WriteFileBytes(extra / "two.vcf", Card("extra-two", "Extra Two"));
  agent.AwaitSynced("a change captured under the old config", 592);
  // status reads the broken config too: run it with the good one to see the agent's part.
  testing::WriteFileBytes(w.h.dir / "good.json", good);
  ProcessResult status = RunProcess({testing::HoldfastBinary(), "--vault", w.h.vault, "--config",
                                     (w.h.dir / "good.json").string(), "status"});
  CHECK_MESSAGE(status.out.find("CONFIG ERROR") != std::string::npos, (status.out + status.err));
  CHECK(agent.Stop() == 0);
}

TEST_CASE("a source that disappears is not a deletion, and most of a collection gone trips the guard") {
  World w;
  Agent agent(w);
  agent.Start();
  agent.AwaitSynced("the first push", 590);

  // An SD card taken out: the photos folder goes away.
  const fs::path photos = w.h.tree / "photos";
  fs::rename(photos, w.h.dir / "card-out");
  agent.Await("the alert that photos cannot be read", [&] { return agent.HasAlert("source:photos"); });
  CHECK(agent.Log().find("Source 'photos' cannot be read") != std::string::npos);
  CHECK(agent.Running());
  fs::rename(w.h.dir / "card-out", photos);
  agent.Await("the alert cleared when the card is back", [&] { return !agent.HasAlert("source:photos"); });
  CHECK(TotalItems(w.OnServer()) == 590);  // nothing deleted meanwhile

  // Most cards of a collection gone at once: the guard records no deletion.
  const std::vector<fs::path> cards = testing::FilesIn(w.h.tree / "contacts/personal");
  for (size_t i = 0; i + 2 < cards.size(); ++i) fs::remove(cards[i]);
  agent.Await("the data-gone alert", [&] { return agent.HasAlert("loss:"); });
  CHECK(agent.Log().find("Data gone from the device") != std::string::npos);
  agent.AwaitSynced("no deletion pushed", 590);
  CHECK(agent.Running());
  CHECK(agent.Stop() == 0);
}

TEST_CASE("a card mounted over a source folder is seen through the mount table, and its removal is no deletion") {
  if (geteuid() != 0) {
    MESSAGE("SKIPPED: mounting a file system needs root (CI runs as root)");
    return;
  }
  World w;
  Agent agent(w);
  agent.Start();
  agent.AwaitSynced("the first push", 590);
  const fs::path photos = w.h.tree / "photos";
  // A card inserted: a new file system on the photos folder, holding one
  // photo. The mount table tells the agent; nothing else changed there.
  REQUIRE(RunProcess({"/bin/mount", "-t", "tmpfs", "-o", "size=8m", "holdfast-test-card", photos.string()}).exit_code == 0);
  struct Unmount {
    fs::path at;
    ~Unmount() { (void)RunProcess({"/bin/umount", "-l", at.string()}); }
  } unmount{photos};
  agent.Await("the mount change seen", [&] {
    return agent.Log().find("mounts changed under 1 source") != std::string::npos;
  });
  // The 20 photos are not on the card: the guard keeps them, no deletion.
  agent.Await("the data-gone alert for the photos", [&] { return agent.HasAlert("loss:"); });
  // The card's folder is watched: a photo written there is captured.
  testing::WriteFileBytes(photos / "on-card.jpg", RandomBytes(50000, 9));
  agent.Await("the card's photo captured", [&] {
    return agent.Log().find("captured photos: 1 new") != std::string::npos;
  });
  // Another mount elsewhere is not a change of any source.
  const fs::path elsewhere = w.h.dir / "elsewhere";
  fs::create_directories(elsewhere);
  const size_t before = agent.Log().size();
  REQUIRE(RunProcess({"/bin/mount", "-t", "tmpfs", "-o", "size=1m", "holdfast-test-other", elsewhere.string()}).exit_code == 0);
  REQUIRE(RunProcess({"/bin/umount", elsewhere.string()}).exit_code == 0);
  // The card out: the photos are back, the alert closes, nothing was deleted.
  REQUIRE(RunProcess({"/bin/umount", photos.string()}).exit_code == 0);
  agent.Await("the alert cleared with the photos back", [&] { return !agent.HasAlert("loss:"); });
  CHECK(testing::ReadFileBytes(agent.log_path()).substr(before).find("mounts changed under 1 source") != std::string::npos);
  CHECK(agent.Log().find("mounts changed under 2 sources") == std::string::npos);
  CHECK(agent.Stop() == 0);
}

TEST_CASE("alerts reach the alert command and a desktop notification server") {
  World w;
  const fs::path received = w.h.dir / "alert.txt";
  const fs::path notified = w.h.dir / "notified.txt";
  w.SetAgent({{"desktop_notifications", true},
              {"alert_command", "printf 'summary=%s\\nbody=%s\\n' \"$1\" \"$2\" >> '" + received.string() + "'"}});
  // dunst records each notification by running a script, as its rules allow.
  const fs::path script = w.h.dir / "record.sh";
  testing::WriteFileBytes(script, "#!/bin/sh\nprintf 'app=%s\\nsummary=%s\\nbody=%s\\n' \"$1\" \"$2\" \"$3\" >> '" +
                                      notified.string() + "'\n");
  fs::permissions(script, fs::perms::owner_all);
  testing::WriteFileBytes(w.h.dir / "dunstrc", "[global]\n    follow = none\n[record]\n    summary = \"*\"\n"
                                               "    script = " + script.string() + "\n");
  // A session bus of its own, dunst on it (on an Xvfb display), then the agent.
  const std::string start =
      "dunst -config '" + (w.h.dir / "dunstrc").string() + "' >'" + (w.h.dir / "dunst.log").string() + "' 2>&1 &\n"
      "i=0; until dbus-send --session --print-reply --dest=org.freedesktop.DBus / "
      "org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Notifications | grep -q 'boolean true'; do\n"
      "  i=$((i+1)); [ $i -gt 200 ] && { echo 'dunst did not take the name' >&2; exit 1; }; sleep 0.05; done\n"
      "exec \"$@\"\n";
  Agent agent(w, {"/usr/bin/xvfb-run", "-a", "dbus-run-session", "--", "sh", "-c", start, "sh"});
  agent.Start();
  agent.AwaitSynced("the first push", 590);

  fs::rename(w.h.tree / "notes", w.h.dir / "notes-away");
  agent.Await("the alert command's record", [&] {
    return testing::ReadFileBytes(received).find("summary=Source 'notes' cannot be read") != std::string::npos;
  });
  CHECK(testing::ReadFileBytes(received).find("body=") != std::string::npos);
  CHECK(testing::ReadFileBytes(received).find("Nothing was deleted from the vault") != std::string::npos);
  agent.Await("the notification server's record", [&] {
    return testing::ReadFileBytes(notified).find("summary=Source 'notes' cannot be read") != std::string::npos;
  });
  CHECK(testing::ReadFileBytes(notified).find("Nothing was deleted from the vault") != std::string::npos);
  CHECK(agent.Log().find("shown by desktop+command") != std::string::npos);
  CHECK(agent.Stop() == 0);
}

TEST_CASE("the agent finds a wiped server at its next check and recovers it by itself") {
  World w;
  w.SetAgent({{"check_interval_s", 2}});
  Agent agent(w);
  agent.Start();
  agent.AwaitSynced("the first push", 590);
  ProcessResult wiped = RunProcess({testing::ServerBinary(), "wipe", "--data", w.data, "--account", "phone"});
  REQUIRE_MESSAGE(wiped.exit_code == 0, wiped.err);
  REQUIRE(TotalItems(w.OnServer()) == 0);
  agent.Await("a verified recovery", [&] {
    json state = agent.State();
    if (!state.contains("remotes") || state["remotes"].empty()) return false;
    return state["remotes"][0].value("last_result", "").find("VERIFIED") != std::string::npos &&
           state["remotes"][0].value("last_result", "").find("NOT VERIFIED") == std::string::npos;
  });
  agent.AwaitSynced("everything back on the server", 590);
  ProcessResult status = w.h.Holdfast({"status"});
  CHECK_MESSAGE(status.out.find("VERIFIED") != std::string::npos, status.out);
  CHECK(agent.Stop() == 0);
}

TEST_CASE("an operator's re-upload request is taken at this device's slot, with no change on the device") {
  World w;
  w.SetAgent({{"check_interval_s", 3600}});
  Agent agent(w);
  agent.Start();
  agent.AwaitSynced("the first push", 590);
  // The operator asks every device to send everything again, from now on, spread over 20 s.
  ProcessResult requested = RunProcess({testing::ServerBinary(), "request-reupload", "--data", w.data, "--account",
                                        "phone", "--not-before", "0", "--spread", "20s"});
  REQUIRE_MESSAGE(requested.exit_code == 0, requested.err);
  // The next push (a change on the device) finds the request; from then on
  // the agent needs nothing more: it comes back at its slot by itself.
  testing::WriteFileBytes(w.h.tree / "contacts/personal" / "reupload-trigger.vcf",
                          Card("agent-reupload-trigger", "Trigger"));
  std::string slot_seen;
  agent.Await("the re-upload done by the agent", [&] {
    json state = agent.State();
    if (!state.contains("remotes") || state["remotes"].empty()) return false;
    const std::string result = state["remotes"][0].value("last_result", "");
    if (result.find("slot is at") != std::string::npos) slot_seen = result;
    return result.find("recovery (reupload ") != std::string::npos;
  }, 60);
  json state = agent.State();
  const std::string result = state["remotes"][0].value("last_result", "");
  CHECK_MESSAGE(result.find("VERIFIED") != std::string::npos, result);
  CHECK_MESSAGE(result.find("NOT VERIFIED") == std::string::npos, result);
  if (slot_seen.empty()) MESSAGE("the slot had come by the agent's first look: no wait to see");
  agent.AwaitSynced("everything on the server", 591);
  CHECK(agent.Stop() == 0);
}

TEST_CASE("the agent carries out an operator's re-upload no sooner than the window the request opens") {
  World w;
  w.SetAgent({{"check_interval_s", 3600}});
  Agent agent(w);
  agent.Start();
  agent.AwaitSynced("the first push", 590);
  // The window opens 10 s after the request, without spread: this device's
  // slot is the window's first moment.
  const int64_t asked_ms = platform::NowMs();
  ProcessResult requested = RunProcess({testing::ServerBinary(), "request-reupload", "--data", w.data, "--account",
                                        "phone", "--not-before", "10s"});
  REQUIRE_MESSAGE(requested.exit_code == 0, requested.err);
  const size_t opens = requested.out.find("window: opens ");
  REQUIRE_MESSAGE(opens != std::string::npos, requested.out);
  const std::string window = requested.out.substr(opens + 14, 20);  // 2026-01-01T00:00:00Z
  testing::WriteFileBytes(w.h.tree / "contacts/personal" / "window-trigger.vcf",
                          Card("agent-window-trigger", "Trigger"));
  std::string slot_seen, early;
  agent.Await("the re-upload done by the agent", [&] {
    json state = agent.State();
    if (!state.contains("remotes") || state["remotes"].empty()) return false;
    const std::string result = state["remotes"][0].value("last_result", "");
    if (result.find("slot is at") != std::string::npos) slot_seen = result;
    const bool reuploaded = result.find("recovery (reupload ") != std::string::npos;
    // Seen before the window could have opened: carried out too soon.
    if (reuploaded && platform::NowMs() < asked_ms + 10000) early = result;
    return reuploaded;
  }, 60);
  CHECK_MESSAGE(early.empty(), "re-uploaded before the window opened: " << early);
  // The agent saw the request before the window and named its slot, the window's opening.
  CHECK_MESSAGE(slot_seen.find("slot is at " + window) != std::string::npos, slot_seen << " vs " << window);
  const std::string result = agent.State()["remotes"][0].value("last_result", "");
  CHECK_MESSAGE(result.find("VERIFIED") != std::string::npos, result);
  CHECK(agent.Stop() == 0);
}

TEST_CASE("under a service manager the agent says READY, pings the watchdog, and says RELOADING and STOPPING") {
  World w;
  // The service manager's end of sd_notify(3): a datagram socket the agent
  // is told about by NOTIFY_SOCKET, with a watchdog of 400 ms.
  const fs::path socket_path = w.h.dir / "notify.sock";
  platform::UniqueFd manager(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  REQUIRE(manager.get() >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  REQUIRE(socket_path.string().size() < sizeof address.sun_path);
  std::strcpy(address.sun_path, socket_path.c_str());
  REQUIRE(bind(manager.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  std::vector<std::string> messages;
  auto receive = [&](const std::string& wanted) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{manager.get(), POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buffer[4096];
      const ssize_t n = recv(manager.get(), buffer, sizeof buffer, 0);
      if (n <= 0) continue;
      messages.emplace_back(buffer, static_cast<size_t>(n));
      if (messages.back().find(wanted) != std::string::npos) return true;
    }
    return false;
  };
  Agent agent(w, {"/usr/bin/env", "NOTIFY_SOCKET=" + socket_path.string(), "WATCHDOG_USEC=400000"});
  agent.Start();
  CHECK(receive("READY=1"));
  int pings = 0;
  while (pings < 3 && receive("WATCHDOG=1")) ++pings;
  CHECK(pings == 3);
  agent.Signal(SIGHUP);
  CHECK(receive("RELOADING=1"));
  agent.Signal(SIGTERM);
  CHECK(receive("STOPPING=1"));
  CHECK(agent.Stop() == 0);
}

}  // namespace
}  // namespace holdfast
