// Issue 12, device-side writes: restore-device and export never write
// outside the source or the target, whatever symbolic links are there
// before they start or appear while they run; a replaced device file keeps
// its mode; exports are private (0600 files, 0700 folders).
//
// "Outside" is a folder beside the handset that links point into; each test
// fingerprints it (every entry with lstat: type, mode, bytes or link target)
// before and after. The race test has a negative control: a naive writer
// that follows links, run against the same swapping, must change it.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "agent/archive/export.h"
#include "agent/device/restore.h"
#include "storage/vault.h"
#include "tests/crash/crash_handset.h"
#include "tests/support/handset.h"
#include "tests/support/temp_dir.h"

namespace holdfast::testing {
namespace {

namespace fs = std::filesystem;
using storage::Vault;

// Every entry under `root` (links not followed): path -> type, mode and
// content (a file's bytes, a link's target).
std::map<std::string, std::string> Fingerprint(const fs::path& root) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    struct stat st {};
    if (lstat(it->path().c_str(), &st) != 0) continue;
    std::string value = std::to_string(st.st_mode) + ":";
    if (S_ISREG(st.st_mode)) value += ReadFileBytes(it->path());
    if (S_ISLNK(st.st_mode)) value += fs::read_symlink(it->path(), ec).string();
    out[it->path().lexically_relative(root).string()] = value;
  }
  return out;
}

// A vault of the crash handset (step 2) and an "outside" folder holding
// copies of the contacts, so that a write through a link would replace them.
struct Setup {
  TempDir dir;
  fs::path handset = dir / "handset";
  fs::path outside = dir / "outside";
  Setup() {
    MakeCapturedVault(dir.path(), 2);
    fs::create_directories(outside / "personal");
    for (const auto& entry : fs::directory_iterator(handset / "contacts" / "personal")) {
      WriteFileBytes(outside / "personal" / entry.path().filename(), "not the agent's: " + entry.path().filename().string());
    }
    WriteFileBytes(outside / "secret.txt", "not the agent's");
  }
  std::unique_ptr<Vault> OpenVault() {
    auto vault = Vault::Open(dir / "vault.db", Vault::OpenMode::kExisting);
    REQUIRE(vault);
    return std::move(*vault);
  }
  // restore-device of every source; errors are allowed (links are refused).
  void Restore(bool overwrite) {
    auto vault = OpenVault();
    agent::RestoreOptions options;
    options.overwrite = overwrite;
    auto report = agent::RestoreDevice(*vault, HandsetConfig(handset), options);
    REQUIRE_MESSAGE(report, (report ? "" : report.error().ToString()));
  }
  Status Export(agent::ExportFormat format, const fs::path& to, bool force) {
    auto vault = OpenVault();
    agent::ExportOptions options;
    options.format = format;
    options.to = to;
    options.force = force;
    options.now_ms = kCrashNowMs;
    auto report = agent::Export(*vault, options);
    return report ? Status::Ok() : report.error();
  }
};

const std::vector<std::pair<agent::ExportFormat, std::string>> kFormats = {
    {agent::ExportFormat::kArchive, "all.tar"}, {agent::ExportFormat::kJson, "all.jsonl"},
    {agent::ExportFormat::kVdir, "vdir"},       {agent::ExportFormat::kVcf, "cards"},
    {agent::ExportFormat::kIcs, "calendars"}};

mode_t ModeOf(const fs::path& path) {
  struct stat st {};
  REQUIRE(lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

TEST_CASE("restore-device writes nothing through a collection folder replaced by a link, with and without --overwrite") {
  for (bool overwrite : {false, true}) {
    CAPTURE(overwrite);
    Setup s;
    fs::remove_all(s.handset / "contacts" / "personal");
    fs::create_directory_symlink(s.outside / "personal", s.handset / "contacts" / "personal");
    const auto before = Fingerprint(s.outside);
    s.Restore(overwrite);
    CHECK(Fingerprint(s.outside) == before);
    CHECK(fs::is_symlink(s.handset / "contacts" / "personal"));
  }
}

TEST_CASE("restore-device over an existing 0600 file keeps it 0600, and a new file is not made group-writable") {
  Setup s;
  const fs::path kept = s.handset / "tasks" / "todo" / "task-0.ics";
  WriteFileBytes(kept, "edited on the device");
  REQUIRE(chmod(kept.c_str(), 0600) == 0);
  fs::remove(s.handset / "contacts" / "personal" / "contact-0.vcf");
  s.Restore(/*overwrite=*/true);
  CHECK(ReadFileBytes(kept) != "edited on the device");
  CHECK(ModeOf(kept) == 0600);
  CHECK((ModeOf(s.handset / "contacts" / "personal" / "contact-0.vcf") & 0022) == 0);
}

// Links at every name a temp file of this process could have had under the
// old scheme (".holdfast-<name>.<pid>[.<n>].tmp" and ".staging") beside
// `target`, each pointing at a file outside.
void PlantTempLinks(const fs::path& target, const fs::path& outside_file) {
  const std::string prefix = ".holdfast-" + target.filename().string() + "." + std::to_string(getpid());
  std::vector<std::string> names = {prefix + ".tmp", prefix + ".staging", prefix + ".old"};
  for (int n = 0; n < 40; ++n) names.push_back(prefix + "." + std::to_string(n) + ".tmp");
  for (const std::string& name : names) fs::create_symlink(outside_file, target.parent_path() / name);
}

TEST_CASE("a link planted at every predictable temp name is never written through by restore-device or export") {
  Setup s;
  // restore-device: every contact missing or different, links beside each.
  for (const auto& entry : fs::directory_iterator(s.handset / "contacts" / "personal")) {
    if (entry.path().filename().string().rfind(".", 0) == 0) continue;
    WriteFileBytes(entry.path(), "different");
    PlantTempLinks(entry.path(), s.outside / "secret.txt");
  }
  fs::remove(s.handset / "contacts" / "personal" / "contact-0.vcf");
  const auto before = Fingerprint(s.outside);
  s.Restore(/*overwrite=*/true);
  CHECK(Fingerprint(s.outside) == before);
  CHECK(ReadFileBytes(s.handset / "contacts" / "personal" / "contact-0.vcf").find("BEGIN:VCARD") == 0);
  // export, every format, new and replacing an existing export.
  fs::create_directories(s.dir / "out");
  for (const auto& [format, name] : kFormats) {
    CAPTURE(name);
    const fs::path target = s.dir / "out" / name;
    PlantTempLinks(target, s.outside / "secret.txt");
    Status first = s.Export(format, target, /*force=*/false);
    CHECK_MESSAGE(first.ok(), first.ToString());
    Status again = s.Export(format, target, /*force=*/true);
    CHECK_MESSAGE(again.ok(), again.ToString());
    CHECK_FALSE(fs::is_symlink(target));
    CHECK(Fingerprint(s.outside) == before);
  }
}

TEST_CASE("an export whose target is a link is refused or replaces the link, never writes through it") {
  Setup s;
  fs::create_directories(s.dir / "out");
  const auto before = Fingerprint(s.outside);
  for (const auto& [format, name] : kFormats) {
    CAPTURE(name);
    const fs::path target = s.dir / "out" / name;
    const bool folder = format != agent::ExportFormat::kArchive && format != agent::ExportFormat::kJson;
    fs::create_symlink(folder ? s.outside / "personal" : s.outside / "secret.txt", target);
    (void)s.Export(format, target, /*force=*/true);
    CHECK(Fingerprint(s.outside) == before);
  }
}

TEST_CASE("exports are 0600 files in 0700 folders") {
  Setup s;
  fs::create_directories(s.dir / "out");
  for (const auto& [format, name] : kFormats) {
    CAPTURE(name);
    const fs::path target = s.dir / "out" / name;
    Status status = s.Export(format, target, /*force=*/false);
    REQUIRE_MESSAGE(status.ok(), status.ToString());
    if (fs::is_directory(target)) {
      CHECK(ModeOf(target) == 0700);
      for (const auto& entry : fs::recursive_directory_iterator(target)) {
        CAPTURE(entry.path());
        CHECK(ModeOf(entry.path()) == (entry.is_directory() ? 0700 : 0600));
      }
    } else {
      CHECK(ModeOf(target) == 0600);
    }
  }
}

// --- the race ---------------------------------------------------------------

// Keeps swapping folders (and export staging folders' contents) for links
// into `outside` until stopped: what an attacker with write access to the
// folders does while the agent runs.
class Swapper {
 public:
  Swapper(std::vector<fs::path> folders, fs::path export_parent, fs::path outside)
      : folders_(std::move(folders)), export_parent_(std::move(export_parent)), outside_(std::move(outside)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Swapper() {
    stop_ = true;
    thread_.join();
  }
  int swaps() const { return swaps_; }

 private:
  void SwapOnce(const fs::path& folder, const fs::path& to) {
    const fs::path aside = folder.parent_path() / (".aside-" + folder.filename().string());
    if (rename(folder.c_str(), aside.c_str()) != 0) return;
    if (symlink(to.c_str(), folder.c_str()) == 0) ++swaps_;
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    unlink(folder.c_str());
    (void)rename(aside.c_str(), folder.c_str());
  }
  void Run() {
    while (!stop_) {
      for (const fs::path& folder : folders_) SwapOnce(folder, outside_ / "personal");
      std::error_code ec;
      for (const auto& entry : fs::directory_iterator(export_parent_, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(".holdfast-", 0) != 0 || !entry.is_directory(ec) || entry.is_symlink(ec)) continue;
        for (const auto& inner : fs::directory_iterator(entry.path(), ec)) {
          if (inner.is_directory(ec) && !inner.is_symlink(ec)) SwapOnce(inner.path(), outside_ / "personal");
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  std::vector<fs::path> folders_;
  fs::path export_parent_;
  fs::path outside_;
  std::atomic<bool> stop_{false};
  std::atomic<int> swaps_{0};
  std::thread thread_;
};

constexpr int kRounds = 20;

// Deletes the device's contacts and tasks so that each round has files to write.
void ResetDevice(const Setup& s) {
  for (const char* folder : {"contacts/personal", "tasks/todo"}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(s.handset / folder, ec)) fs::remove(entry.path(), ec);
  }
}

TEST_CASE("restore-device and export write nothing outside while folders are swapped for links as they run") {
  Setup s;
  fs::create_directories(s.dir / "out");
  const auto before = Fingerprint(s.outside);
  int swaps = 0;
  for (int round = 0; round < kRounds; ++round) {
    ResetDevice(s);
    Swapper swapper({s.handset / "contacts" / "personal", s.handset / "tasks" / "todo"}, s.dir / "out", s.outside);
    s.Restore(/*overwrite=*/round % 2 == 0);
    (void)s.Export(agent::ExportFormat::kVdir, s.dir / "out" / "vdir", /*force=*/true);
    (void)s.Export(agent::ExportFormat::kJson, s.dir / "out" / "all.jsonl", /*force=*/true);
    swaps += swapper.swaps();
  }
  MESSAGE("link swaps during the runs: " << swaps);
  CHECK(swaps > 0);
  CHECK(Fingerprint(s.outside) == before);
}

// What the old restore did, in miniature: folders made and files written by
// path, each call following whatever link is there at that moment.
void NaiveRestore(const Setup& s) {
  for (int i = 0; i < 30; ++i) {
    for (const char* folder : {"contacts/personal", "tasks/todo"}) {
      const fs::path dir = s.handset / folder;
      std::error_code ec;
      fs::create_directories(dir, ec);
      std::ofstream(dir / ("item-" + std::to_string(i) + ".txt")) << "written by the naive writer";
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
}

TEST_CASE("negative control: a writer that follows links, run against the same swapping, writes outside") {
  Setup s;
  fs::create_directories(s.dir / "out");
  const auto before = Fingerprint(s.outside);
  for (int round = 0; round < kRounds && Fingerprint(s.outside) == before; ++round) {
    ResetDevice(s);
    Swapper swapper({s.handset / "contacts" / "personal", s.handset / "tasks" / "todo"}, s.dir / "out", s.outside);
    NaiveRestore(s);
  }
  CHECK_MESSAGE(Fingerprint(s.outside) != before, "the swapping never led a naive writer outside: the race harness is broken");
}

}  // namespace
}  // namespace holdfast::testing
