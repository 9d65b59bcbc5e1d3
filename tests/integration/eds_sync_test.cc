// An eds source's items go to servers like any other source's (issue 16):
// captured from a real Evolution Data Server in a private session, pushed to
// the reference server and to Radicale, checked, lost in a server wipe,
// recovered with read-back, and after a device reset put back into EDS from
// the vault, where EDS's own API reads them as they were; and `holdfast run`
// captures and pushes a contact written through EDS by itself.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/exit_codes.h"
#include "tests/support/child_process.h"
#include "tests/support/dav_device.h"
#include "tests/support/eds_session.h"
#include "tests/support/inventory.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitAttention;
using agent::kExitOk;
using testing::EdsSession;
using testing::ProcessResult;

const std::vector<std::string> kPopulate = {"populate", "--contacts", "40", "--photos", "4", "--events",
                                            "12",       "--tasks",    "3",  "--memos",  "2", "--seed", "16"};
// 40 contacts, 12 events (one item each, overrides inside their item), 3 tasks, 2 memos.
constexpr size_t kItems = 40 + 12 + 3 + 2;

// `holdfast --vault V --config C ARGS` in the EDS session.
ProcessResult Holdfast(const EdsSession& eds, const fs::path& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {testing::HoldfastBinary(), "--vault", (dir / "vault.db").string(),
                                   "--config", (dir / "config.json").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return eds.Run(argv);
}

void Require(const EdsSession& eds, const fs::path& dir, const std::vector<std::string>& args) {
  ProcessResult r = Holdfast(eds, dir, args);
  REQUIRE_MESSAGE(r.exit_code == kExitOk, std::string(testing::DescribeCommand(args) + "\n" + r.out + r.err));
}

std::string Dump(const EdsSession& eds) {
  ProcessResult dump = eds.RunTool({"dump", "--all"});
  REQUIRE_MESSAGE(dump.exit_code == 0, dump.err);
  return dump.out;
}

// Stops EDS, deletes its data (the reset) and starts a new session on the
// same folders.
void ResetDevice(EdsSession& eds) {
  eds.Stop();
  fs::remove_all(eds.data_dir());
  eds.Restart();
}

TEST_CASE("eds items are pushed to the reference server, recovered after a wipe, and restored into EDS") {
  testing::TempDir temp;
  const fs::path dir = temp.path();
  EdsSession eds(dir);
  ProcessResult populated = eds.RunTool(kPopulate);
  REQUIRE_MESSAGE(populated.exit_code == 0, populated.err);
  const std::string before = Dump(eds);

  const std::string data = (dir / "server").string();
  testing::WriteTokenFile(dir / "token", testing::AddAccount(data, "phone"));
  testing::ServerProcess server(data);
  Require(eds, dir, {"init"});
  Require(eds, dir, {"source", "add", "--kind", "eds", eds.data_dir().string()});
  Require(eds, dir, {"capture"});
  Require(eds, dir, {"remote", "add", "home", "--url", server.url(), "--account", "phone", "--token-file",
                     (dir / "token").string()});
  Require(eds, dir, {"push"});
  const testing::Inventory vault = testing::VaultInventory((dir / "vault.db").string());
  CHECK(testing::ServerInventory(data) == vault);
  // One remote collection per EDS collection, "<items> <digest>" each.
  size_t items = 0;
  for (const auto& [collection, summary] : vault) items += std::stoul(summary.substr(0, summary.find(' ')));
  CHECK(vault.size() == 4);
  CHECK(items == kItems);

  ProcessResult wiped = testing::RunProcess({testing::ServerBinary(), "wipe", "--data", data, "--account", "phone"});
  REQUIRE_MESSAGE(wiped.exit_code == 0, wiped.err);
  ProcessResult check = Holdfast(eds, dir, {"check"});
  CHECK_MESSAGE(check.exit_code == kExitAttention, (check.out + check.err));
  ProcessResult recover = Holdfast(eds, dir, {"recover"});
  REQUIRE_MESSAGE(recover.exit_code == kExitOk, (recover.out + recover.err));
  CHECK(recover.out.find("VERIFIED") != std::string::npos);
  CHECK(testing::ServerInventory(data) == vault);

  // The device is reset too: EDS comes back empty, the capture refuses to
  // take that as deletions, and the vault puts everything back.
  ResetDevice(eds);
  ProcessResult refused = Holdfast(eds, dir, {"capture"});
  CHECK_MESSAGE(refused.exit_code == agent::kExitAttention, (refused.out + refused.err));
  CHECK(refused.out.find("SOURCE LOSS SUSPECTED") != std::string::npos);
  Require(eds, dir, {"restore-device"});
  CHECK(Dump(eds) == before);
  // Nothing changed for the vault, so nothing new goes to the server.
  ProcessResult recaptured = Holdfast(eds, dir, {"capture"});
  REQUIRE(recaptured.exit_code == kExitOk);
  CHECK_MESSAGE(recaptured.out.find("0 new, 0 changed") != std::string::npos, recaptured.out);
  CHECK(testing::VaultInventory((dir / "vault.db").string()) == vault);
}

TEST_CASE("eds collections go to Radicale as an address book, calendars and a task list; a wipe is recovered") {
  testing::DavDevice device(testing::DavServerKind::kRadicale);
  EdsSession eds(device.dir.path());
  ProcessResult populated = eds.RunTool(kPopulate);
  REQUIRE_MESSAGE(populated.exit_code == 0, populated.err);
  auto run = [&](const std::vector<std::string>& args) { return eds.Run(device.HoldfastCommand(args)); };
  auto require = [&](const std::vector<std::string>& args) {
    ProcessResult r = run(args);
    REQUIRE_MESSAGE(r.exit_code == kExitOk, std::string(testing::DescribeCommand(args) + "\n" + r.out + r.err));
  };
  require({"init"});
  require({"source", "add", "--kind", "eds", eds.data_dir().string()});
  require({"capture"});
  device.AddRemote(device.server.url() + device.server.base_path());
  require({"push"});

  // What Radicale holds, counted by PROPFIND (not by the agent): one
  // collection per EDS collection, each with its items.
  auto items_on_server = [&] {
    size_t items = 0, collections = 0;
    for (const std::string& href : device.Members(device.server.base_path(), true)) {
      const std::string path = href.substr(href.find(device.server.base_path()));
      if (path.find("holdfast-") == std::string::npos) continue;
      ++collections;
      items += device.Members(path, true).size();
    }
    return std::pair(collections, items);
  };
  CHECK(items_on_server() == std::pair<size_t, size_t>(4, kItems));
  ProcessResult healthy = run({"check"});
  CHECK_MESSAGE(healthy.exit_code == kExitOk, (healthy.out + healthy.err));

  device.server.Stop();
  device.server.DeleteStorage();
  device.server.Start();
  ProcessResult lost = run({"check"});
  CHECK_MESSAGE(lost.exit_code == kExitAttention, (lost.out + lost.err));
  ProcessResult recover = run({"recover"});
  REQUIRE_MESSAGE(recover.exit_code == kExitOk, (recover.out + recover.err + device.server.ReadLog()));
  CHECK(recover.out.find("VERIFIED") != std::string::npos);
  CHECK(items_on_server() == std::pair<size_t, size_t>(4, kItems));
}

// The agent's log (a file), read whole.
std::string ReadLog(const fs::path& log) {
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Waits (at most 60 s) until the log holds `line`; false if it never does.
bool WaitForLog(const fs::path& log, const std::string& line) {
  for (int i = 0; i < 600; ++i) {
    if (ReadLog(log).find(line) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST_CASE("holdfast run sees EDS change its data, captures the new contact and pushes it by itself") {
  testing::TempDir temp;
  const fs::path dir = temp.path();
  EdsSession eds(dir);
  ProcessResult populated = eds.RunTool({"populate", "--contacts", "20", "--events", "3", "--seed", "5"});
  REQUIRE_MESSAGE(populated.exit_code == 0, populated.err);
  const std::string data = (dir / "server").string();
  testing::WriteTokenFile(dir / "token", testing::AddAccount(data, "phone"));
  testing::ServerProcess server(data);
  Require(eds, dir, {"init"});
  Require(eds, dir, {"source", "add", "--kind", "eds", eds.data_dir().string()});
  Require(eds, dir, {"remote", "add", "home", "--url", server.url(), "--account", "phone", "--token-file",
                     (dir / "token").string()});

  // The agent runs in the EDS session (env(1) sets the session's variables).
  std::vector<std::string> argv = {"/usr/bin/env"};
  for (const std::string& var : eds.env()) argv.push_back(var);
  for (const std::string& arg : {testing::HoldfastBinary(), std::string("--vault"), (dir / "vault.db").string(),
                                 std::string("--config"), (dir / "config.json").string(), std::string("run")}) {
    argv.push_back(arg);
  }
  const fs::path log = dir / "agent.log";
  testing::ChildOptions options;
  options.output_file = log.string();
  testing::ChildProcess agent(argv, options);
  REQUIRE_MESSAGE(WaitForLog(log, "captured eds: 23 new"), ReadLog(log));
  REQUIRE_MESSAGE(WaitForLog(log, "home: pushed"), ReadLog(log));

  // A contact written through EDS's API, as GNOME Contacts would.
  testing::WriteFileBytes(dir / "new.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:added-by-the-user\r\nFN:Added Later\r\n"
                                           "END:VCARD\r\n");
  ProcessResult added = eds.RunTool({"add", "--collection", "system-address-book", "--kind", "contacts",
                                     (dir / "new.vcf").string()});
  REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  REQUIRE_MESSAGE(WaitForLog(log, "captured eds: 1 new"), ReadLog(log));
  // Pushed after that capture: a "pushed" line after the capture's.
  bool pushed = false;
  for (int i = 0; i < 600 && !pushed; ++i) {
    const std::string text = ReadLog(log);
    pushed = text.find("home: pushed", text.find("captured eds: 1 new")) != std::string::npos;
    if (!pushed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK_MESSAGE(pushed, ReadLog(log));
  agent.Terminate(10000);
  // The agent held the vault; stopped, the vault and the server agree, the
  // new contact among 21.
  const testing::Inventory vault = testing::VaultInventory((dir / "vault.db").string());
  CHECK(testing::ServerInventory(data) == vault);
  size_t items = 0;
  for (const auto& [collection, summary] : vault) items += std::stoul(summary.substr(0, summary.find(' ')));
  CHECK(items == 20 + 3 + 1);
}

}  // namespace
}  // namespace holdfast
