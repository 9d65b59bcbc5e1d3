// kill -9 of the real `holdfast restore-device` while it writes into a
// private Evolution Data Server (tests/support/eds_session.h) after a device
// reset: each restore run again goes on from what EDS took, and when one
// completes, EDS holds every item once, as before the reset (no duplicates,
// nothing lost, nothing changed), and a capture finds nothing new.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "agent/exit_codes.h"
#include "tests/support/child_process.h"
#include "tests/support/eds_session.h"
#include "tests/support/temp_dir.h"

namespace holdfast::testing {
namespace {

namespace fs = std::filesystem;
using agent::kExitOk;
using Clock = std::chrono::steady_clock;

constexpr int kContacts = 3000;
constexpr int kPhotos = 100;
constexpr int kEvents = 600;  // every tenth recurs with an overridden instance
constexpr int kTasks = 200;
constexpr int kMemos = 200;
constexpr int kKillRounds = 8;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// One item of a holdfast-eds-tool dump: "=== COLLECTION KIND N" opens a
// collection, "--- KEY" an item (KEY: the UID, and " RECURRENCE-ID:..." for
// an overridden instance), its text up to the next such line.
struct DumpItem {
  std::string collection;
  std::string key;
  std::string text;
};

struct Dump {
  std::map<std::string, size_t> counts;  // "system-address-book contacts" -> items
  std::vector<DumpItem> items;
};

Dump ParseDump(const std::string& text) {
  Dump dump;
  std::istringstream in(text);
  std::string line, collection;
  DumpItem* item = nullptr;
  while (std::getline(in, line)) {
    if (line.rfind("=== ", 0) == 0) {
      const size_t space = line.rfind(' ');
      collection = line.substr(4, space - 4);
      dump.counts[collection] = std::stoul(line.substr(space + 1));
      item = nullptr;
    } else if (line.rfind("--- ", 0) == 0) {
      dump.items.push_back({collection, line.substr(4), ""});
      item = &dump.items.back();
    } else if (item != nullptr) {
      item->text += line + "\n";
    }
  }
  return dump;
}

// An item's text without its UID line: two items that differ only there are
// the same entry twice, as a restore that lost the UIDs would leave them.
std::string WithoutUid(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.rfind("UID:", 0) != 0) out += line + "\n";
  }
  return out;
}

// "" when no item of the dump is there twice: under the same key, or with
// the same content under another UID; else the items that are.
std::string RepeatedItems(const Dump& dump) {
  std::ostringstream problems;
  std::map<std::string, int> keys;
  std::map<std::string, std::vector<std::string>> contents;  // content without UID -> keys
  for (const DumpItem& item : dump.items) {
    const std::string key = item.collection + " " + item.key;
    if (++keys[key] == 2) problems << "listed more than once: " << key << "\n";
    contents[item.collection + "\n" + WithoutUid(item.text)].push_back(item.key);
  }
  int copies = 0;
  for (const auto& [content, same] : contents) {
    if (same.size() < 2) continue;
    ++copies;
    if (copies <= 5) {
      problems << "the same content under " << same.size() << " keys:";
      for (const auto& key : same) problems << " " << key;
      problems << "\n";
    }
  }
  if (copies > 5) problems << "... " << copies << " contents in all are held more than once\n";
  return problems.str();
}

// "" when `now` holds exactly the items of `before` (a dump taken before the
// reset), each once; otherwise what is wrong: a count per collection that
// differs, an item there twice (RepeatedItems), a dump that differs.
std::string DuplicateProblems(const std::string& before, const std::string& now) {
  const Dump was = ParseDump(before);
  const Dump is = ParseDump(now);
  std::ostringstream problems;
  for (const auto& [collection, n] : was.counts) {
    const auto it = is.counts.find(collection);
    const size_t has = it == is.counts.end() ? 0 : it->second;
    if (has != n) problems << collection << ": " << has << " items, " << n << " before the reset\n";
  }
  problems << RepeatedItems(is);
  if (now != before) {
    size_t at = 0;
    while (at < now.size() && at < before.size() && now[at] == before[at]) ++at;
    problems << "the dump differs from the one before the reset from byte " << at << ": \""
             << now.substr(at > 80 ? at - 80 : 0, 200) << "\"\n";
  }
  return problems.str();
}

// Items in EDS's four system collections, from `holdfast-eds-tool count`.
size_t CountItems(const EdsSession& eds) {
  const ProcessResult count = eds.RunTool({"count"});
  REQUIRE_MESSAGE(count.exit_code == 0, count.err);
  size_t total = 0;
  std::istringstream in(count.out);
  std::string line;
  while (std::getline(in, line)) total += std::stoul(line.substr(line.rfind(' ') + 1));
  return total;
}

std::string DumpAll(const EdsSession& eds) {
  const ProcessResult dump = eds.RunTool({"dump", "--all"});
  REQUIRE_MESSAGE(dump.exit_code == 0, dump.err);
  return dump.out;
}

// Five contacts of the dump without a photo, each under a new UID: what a
// restore that lost the UIDs would add again.
std::string CopiesUnderNewUids(const std::string& dump) {
  std::string vcf;
  int copied = 0;
  for (const DumpItem& item : ParseDump(dump).items) {
    if (copied == 5) break;
    if (item.collection.rfind("system-address-book ", 0) != 0) continue;
    if (item.text.find("PHOTO-SHA256:") != std::string::npos) continue;
    std::istringstream in(item.text);
    std::string line;
    while (std::getline(in, line)) {
      vcf += line.rfind("UID:", 0) == 0 ? "UID:copy-of-" + item.key + "\r" : line;
      vcf += "\n";
    }
    ++copied;
  }
  REQUIRE(copied == 5);
  return vcf;
}

class EdsDevice {
 public:
  EdsDevice() : eds_(dir_.path()) {}

  EdsSession& eds() { return eds_; }
  std::vector<std::string> Command(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"/usr/bin/env"};
    for (const auto& entry : eds_.env()) argv.push_back(entry);
    argv.insert(argv.end(), {HoldfastBinary(), "--vault", (dir_ / "vault.db").string(), "--config",
                             (dir_ / "config.json").string()});
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  ProcessResult Holdfast(const std::vector<std::string>& args) const { return RunProcess(Command(args)); }
  fs::path file(const std::string& name) const { return dir_ / name; }

  // The device reset: EDS's data (and its sources' configuration) is gone.
  void Reset() {
    eds_.Stop();
    fs::remove_all(eds_.data_dir());
    eds_.Restart();
    REQUIRE(CountItems(eds_) == 0);
  }

 private:
  TempDir dir_;
  EdsSession eds_;
};

TEST_CASE("restore-device into EDS killed with SIGKILL while it writes: the next one completes it, without duplicates") {
  EdsDevice device;
  EdsSession& eds = device.eds();
  const ProcessResult populate =
      eds.RunTool({"populate", "--contacts", std::to_string(kContacts), "--photos", std::to_string(kPhotos), "--events",
                   std::to_string(kEvents), "--tasks", std::to_string(kTasks), "--memos", std::to_string(kMemos),
                   "--seed", "16"},
                  240);
  REQUIRE_MESSAGE(populate.exit_code == 0, populate.err);
  const std::string dump_a = DumpAll(eds);
  const size_t total = CountItems(eds);
  // The harness itself: the dump before the reset has no duplicate by its measure.
  REQUIRE(DuplicateProblems(dump_a, dump_a).empty());

  REQUIRE(device.Holdfast({"init"}).exit_code == kExitOk);
  const ProcessResult added = device.Holdfast({"source", "add", "--kind", "eds", eds.data_dir().string()});
  REQUIRE_MESSAGE(added.exit_code == kExitOk, added.err);
  const ProcessResult captured = device.Holdfast({"capture"});
  REQUIRE_MESSAGE(captured.exit_code == kExitOk, captured.out << captured.err);
  MESSAGE("capture: " << captured.out);

  // How long a whole restore into an empty EDS takes, and how long one takes
  // before it writes (a dry run reads EDS and the vault and writes nothing):
  // the difference is its writing, where the kills below fall. Timings
  // choose the moments; they decide nothing but the check that most kills
  // landed mid-write.
  device.Reset();
  auto start = Clock::now();
  const ProcessResult dry = device.Holdfast({"restore-device", "--dry-run"});
  const double dry_empty_ms = MsSince(start);
  REQUIRE_MESSAGE(dry.exit_code == kExitOk, dry.out << dry.err);
  start = Clock::now();
  const ProcessResult whole = device.Holdfast({"restore-device"});
  const double whole_ms = MsSince(start);
  REQUIRE_MESSAGE(whole.exit_code == kExitOk, whole.out << whole.err);
  CHECK(DuplicateProblems(dump_a, DumpAll(eds)) == "");
  start = Clock::now();
  REQUIRE(device.Holdfast({"restore-device", "--dry-run"}).exit_code == kExitOk);
  const double dry_full_ms = MsSince(start);
  MESSAGE("a whole restore-device: " << whole_ms << " ms (" << whole.out << "); a dry run: " << dry_empty_ms
                                     << " ms into an empty EDS, " << dry_full_ms << " ms into a full one");

  // The reset, then restore-device killed in its writing, round after round.
  device.Reset();
  const uint64_t seed = std::random_device{}();
  MESSAGE("kill seed " << seed);
  std::mt19937_64 rng(seed);
  int mid_write = 0, killed = 0, progressed = 0;
  size_t present = 0;
  // restore-device writes in requests of 500 items (agent/device/eds_restore.cc),
  // and EDS finishes a request whose client died: a kill makes progress of
  // a request or more. Each kill falls within the next request or so, so
  // that most rounds leave EDS part-filled.
  const int requests = (kContacts + 499) / 500 + (kEvents + 499) / 500 + (kTasks + 499) / 500 + (kMemos + 499) / 500;
  const double request_ms = (whole_ms - dry_empty_ms) / requests;
  for (int round = 0; round < kKillRounds; ++round) {
    CAPTURE(round);
    // The run reads what EDS holds before it writes (longer as EDS fills):
    // a dry run now takes that long.
    start = Clock::now();
    REQUIRE(device.Holdfast({"restore-device", "--dry-run"}).exit_code == kExitOk);
    const double reading_ms = MsSince(start);
    // From a little before (timings on a busy machine wander) to a request's
    // time after: the last requests, calendars, go much faster than contacts.
    std::uniform_real_distribution<double> pick(0.8 * reading_ms, reading_ms + request_ms);
    const int delay_ms = static_cast<int>(pick(rng));
    ChildProcess restore(device.Command({"restore-device"}));
    restore.ReadFor(delay_ms);
    const int status = restore.KillAndWait();
    const bool was_killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    if (!was_killed) {
      // It ended before the kill: it must have succeeded.
      CHECK_MESSAGE(WIFEXITED(status), status);
      CHECK_MESSAGE(WEXITSTATUS(status) == kExitOk, restore.output());
    }
    killed += was_killed;
    const size_t before = present;
    present = CountItems(eds);
    if (present > 0 && present < total) ++mid_write;
    if (present > before && present < total) ++progressed;
    MESSAGE("round " << round << ": killed after " << delay_ms << " ms " << std::string(was_killed ? "" : "(it had ended) ")
                     << "-> EDS holds " << present << " of " << total << " items (" << before << " before)");
    CHECK(present <= total);  // a duplicate here would be an extra item
    CHECK(RepeatedItems(ParseDump(DumpAll(eds))) == "");
  }
  MESSAGE(mid_write << " of " << kKillRounds << " kills left EDS part-filled, " << progressed
                    << " of them after the run had written more (" << killed << " killed the run)");
  // Kills must land while it writes, or this test does not test that: 6 or 7
  // of 8 did in the normal build, 3 of 8 in the sanitizer build (its timing
  // differs from the dry run the delays are taken from).
  CHECK(mid_write >= 2);
  CHECK(progressed >= 1);

  const ProcessResult last = device.Holdfast({"restore-device"});
  REQUIRE_MESSAGE(last.exit_code == kExitOk, last.out << last.err);
  MESSAGE("the completing restore-device: " << last.out);
  const std::string after = DumpAll(eds);
  CHECK(DuplicateProblems(dump_a, after) == "");
  CHECK(CountItems(eds) == total);

  // Nothing new or changed for the vault: EDS holds what it had captured.
  const ProcessResult again = device.Holdfast({"capture"});
  CHECK_MESSAGE(again.exit_code == kExitOk, again.out << again.err);
  CHECK_MESSAGE(again.out.find("items: 0 new, 0 changed,") != std::string::npos, again.out);

  // Negative control: the check sees duplicates. Five contacts added again
  // under new UIDs, as a restore that lost the UIDs would write them.
  WriteFileBytes(device.file("copies.vcf"), CopiesUnderNewUids(dump_a));
  const ProcessResult copies = eds.RunTool({"add", "--kind", "contacts", device.file("copies.vcf").string()});
  REQUIRE_MESSAGE(copies.exit_code == 0, copies.err);
  const std::string caught = DuplicateProblems(dump_a, DumpAll(eds));
  MESSAGE("the check on five copies under new UIDs:\n" << caught);
  REQUIRE(!caught.empty());
  CHECK(caught.find("system-address-book contacts: " + std::to_string(kContacts + 5)) != std::string::npos);
  CHECK(caught.find("the same content under 2 keys: copy-of-") != std::string::npos);
}

}  // namespace
}  // namespace holdfast::testing
