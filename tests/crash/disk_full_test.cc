// A real ENOSPC at many points of capture, export, restore-device and import:
// the vault, the export target or the device folder lives on a small tmpfs
// mounted for the test, partly taken by a filler file so that the disk fills
// at a different point of the work each time. Each run must stop with exit
// status 7 and a `no-space` message naming where; the vault must verify and
// keep everything acknowledged before; nothing half-written may be left under
// a real name; and once the filler is gone (space returns) the same command
// completes and its result is whole.
//
// CI runs a few fill levels per operation; HOLDFAST_DISK_FULL_LEVELS=N runs
// N (tools/reliability/faults.sh).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "agent/exit_codes.h"
#include "tests/support/durability_checks.h"
#include "tests/support/handset.h"
#include "tests/support/inventory.h"
#include "tests/support/temp_dir.h"
#include "tests/crash/small_disk.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitIo;
using agent::kExitOk;
using testing::ProcessResult;
using testing::RunProcess;
using testing::SmallDisk;
using testing::TreeBytes;

int Levels() {
  const char* levels = std::getenv("HOLDFAST_DISK_FULL_LEVELS");
  return levels != nullptr && std::atoi(levels) > 1 ? std::atoi(levels) : 3;
}

// Skips the test (with the reason) when tmpfs cannot be mounted.
#define REQUIRE_DISK(disk)                                                                                      \
  if (!(disk).mounted()) {                                                                                      \
    MESSAGE("SKIPPED: cannot mount a tmpfs (needs root, as CI has): " << (disk).error());                      \
    return;                                                                                                     \
  }

std::vector<std::string> WithVault(const std::string& vault, const std::string& config, std::vector<std::string> args) {
  args.insert(args.begin(), {testing::HoldfastBinary(), "--vault", vault, "--config", config});
  return args;
}

// Checks the failure of a run that hit the full disk: exit status 7, the
// error code, and the place named.
void CheckNoSpace(const ProcessResult& run, const fs::path& where) {
  CHECK_MESSAGE(run.exit_code == kExitIo, run.out << run.err);
  const std::string said = run.out + run.err;
  CHECK_MESSAGE(said.find("no-space") != std::string::npos, said);
  CHECK_MESSAGE(said.find(where.string()) != std::string::npos, "the message does not name " << where << ": " << said);
}

void CheckVerifies(const std::string& vault, const std::string& config) {
  ProcessResult verify = RunProcess(WithVault(vault, config, {"verify"}));
  CHECK_MESSAGE(verify.exit_code == kExitOk, verify.out << verify.err);
}

// While the disk is still full, a vault in WAL mode may not even open (its
// -shm file cannot grow): then verify must say no-space, not "damaged".
void CheckVerifiesOrNoSpace(const std::string& vault, const std::string& config) {
  ProcessResult verify = RunProcess(WithVault(vault, config, {"verify"}));
  if (verify.exit_code == kExitOk) return;
  CheckNoSpace(verify, vault);
}

// The fill levels: the free space left, from a little to almost `needed`.
std::vector<int64_t> FreeLevels(int64_t needed) {
  std::vector<int64_t> levels;
  const int n = Levels();
  for (int k = 0; k < n; ++k) levels.push_back(16384 + needed * k / n);
  return levels;
}

// One fill level of an operation on a vault on `disk`: with `free` bytes
// left, `args` runs; a failure must be no-space. Once space returns the vault
// verifies and still holds everything it held before, and running `args`
// again ends with the vault equal to `reference`. Returns whether the full
// disk made the run fail.
bool RunOnFullDisk(SmallDisk& disk, int64_t free, const std::string& vault, const std::string& config,
                   const std::vector<std::string>& args, const testing::Inventory& reference) {
  const testing::Inventory before = testing::VaultInventory(vault);
  disk.Fill(free);
  ProcessResult full = RunProcess(WithVault(vault, config, args));
  const bool failed = full.exit_code != kExitOk;
  if (failed) {
    CheckNoSpace(full, vault);
    CheckVerifiesOrNoSpace(vault, config);
  }
  disk.Unfill();
  CheckVerifies(vault, config);
  const testing::Inventory after = testing::VaultInventory(vault);
  for (const auto& [id, entry] : before) {
    REQUIRE_MESSAGE(after.count(id) == 1, id);
    CHECK(after.at(id) == entry);
  }
  ProcessResult again = RunProcess(WithVault(vault, config, args));
  CHECK_MESSAGE(again.exit_code == kExitOk, again.out << again.err);
  CheckVerifies(vault, config);
  CHECK(testing::VaultInventory(vault) == reference);
  return failed;
}

int64_t SizeOf(const fs::path& root) {
  int64_t total = 0;
  if (fs::is_regular_file(root)) return static_cast<int64_t>(fs::file_size(root));
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) total += static_cast<int64_t>(entry.file_size()) + 4096;
  }
  return total;
}

TEST_CASE("a vault that cannot open on a full disk says no-space, not an I/O error") {
  SmallDisk disk(4 << 20);
  REQUIRE_DISK(disk);
  testing::TempDir work;
  const std::string vault = (disk.path() / "vault.db").string();
  const std::string config = (work / "config.json").string();
  REQUIRE(RunProcess(WithVault(vault, config, {"init"})).exit_code == kExitOk);
  disk.Fill(0);
  ProcessResult status = RunProcess(WithVault(vault, config, {"status"}));
  CheckNoSpace(status, vault);
  CHECK(status.err.find("io-error") == std::string::npos);
  disk.Unfill();
  CheckVerifies(vault, config);
}

TEST_CASE("capture into a vault on a full disk fails with no-space, keeps what it had, and completes later") {
  testing::Handset h;  // its own vault, on the normal disk, is the reference
  REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);
  const testing::Inventory reference = testing::VaultInventory(h.vault);
  // The contacts alone, acknowledged before the disk fills.
  const int64_t needed = static_cast<int64_t>(fs::file_size(h.vault)) * 2;
  int failures = 0;
  for (int64_t free : FreeLevels(needed)) {
    CAPTURE(free);
    SmallDisk disk(needed + (8 << 20));
    REQUIRE_DISK(disk);
    const std::string vault = (disk.path() / "vault.db").string();
    REQUIRE(RunProcess(WithVault(vault, h.config, {"init"})).exit_code == kExitOk);
    ProcessResult contacts = RunProcess(WithVault(vault, h.config, {"capture", "--source", "contacts"}));
    REQUIRE_MESSAGE(contacts.exit_code == kExitOk, contacts.out << contacts.err);
    if (RunOnFullDisk(disk, free, vault, h.config, {"capture"}, reference)) {
      ++failures;
    } else {
      MESSAGE("the capture fitted in " << free << " bytes");
    }
  }
  MESSAGE(failures << " of " << FreeLevels(needed).size() << " captures hit the full disk");
  CHECK(failures > 0);
}

TEST_CASE("an import into a vault on a full disk fails with no-space and completes once space returns") {
  testing::Handset h;
  REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);
  const fs::path archive = h.dir / "all.tar";
  REQUIRE(h.Holdfast({"export", "--format", "archive", "--to", archive.string()}).exit_code == kExitOk);
  const testing::Inventory reference = testing::VaultInventory(h.vault);
  const int64_t needed = static_cast<int64_t>(fs::file_size(h.vault)) * 2;
  int failures = 0;
  for (int64_t free : FreeLevels(needed)) {
    CAPTURE(free);
    SmallDisk disk(needed + (8 << 20));
    REQUIRE_DISK(disk);
    const std::string vault = (disk.path() / "vault.db").string();
    REQUIRE(RunProcess(WithVault(vault, h.config, {"init"})).exit_code == kExitOk);
    REQUIRE(RunProcess(WithVault(vault, h.config, {"capture", "--source", "notes"})).exit_code == kExitOk);
    failures += RunOnFullDisk(disk, free, vault, h.config, {"import", archive.string()}, reference);
  }
  MESSAGE(failures << " of " << FreeLevels(needed).size() << " imports hit the full disk");
  CHECK(failures > 0);
}

TEST_CASE("an export to a full disk fails with no-space, leaves nothing, and completes once space returns") {
  testing::Handset h;
  REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);
  for (const std::string format : {"archive", "vdir", "json"}) {
    CAPTURE(format);
    testing::TempDir ref_dir;
    const fs::path ref = ref_dir / "ref";
    REQUIRE(h.Holdfast({"export", "--format", format, "--to", ref.string()}).exit_code == kExitOk);
    const int64_t needed = SizeOf(ref);
    int failures = 0;
    for (int64_t free : FreeLevels(needed)) {
      CAPTURE(free);
      SmallDisk disk(needed + (4 << 20));
      REQUIRE_DISK(disk);
      disk.Fill(free);
      const fs::path target = disk.path() / "out";
      ProcessResult full = h.Holdfast({"export", "--format", format, "--to", target.string()});
      if (full.exit_code != kExitOk) {
        ++failures;
        CheckNoSpace(full, disk.path());
        CHECK_FALSE(fs::exists(target));
        CHECK(testing::Leftovers(disk.path()).empty());
      }
      CheckVerifies(h.vault, h.config);
      disk.Unfill();
      ProcessResult again = h.Holdfast({"export", "--force", "--format", format, "--to", target.string()});
      REQUIRE_MESSAGE(again.exit_code == kExitOk, again.out << again.err);
      CHECK(testing::Leftovers(disk.path()).empty());
      if (format == "vdir") {
        CHECK(TreeBytes(target) == TreeBytes(ref));
      } else if (format == "json") {
        CHECK(testing::ReadFileBytes(target) == testing::ReadFileBytes(ref));
      } else {
        // Members are whole: the archive's own SHA256SUMS check.
        testing::TempDir extract;
        REQUIRE(RunProcess({"/bin/tar", "-xf", target.string(), "-C", extract.path().string()}).exit_code == 0);
        CHECK(RunProcess({"/bin/sh", "-c", "cd '" + (extract.path() / "holdfast-export").string() +
                                               "' && sha256sum --quiet -c SHA256SUMS"})
                  .exit_code == 0);
      }
    }
    MESSAGE(format << ": " << failures << " of " << FreeLevels(needed).size() << " exports hit the full disk");
    CHECK(failures > 0);
  }
}

TEST_CASE("restore-device onto a full disk fails with no-space, writes only whole files, and completes later") {
  testing::Handset h;
  const std::map<std::string, std::string> original = TreeBytes(h.tree);
  const int64_t needed = SizeOf(h.tree);
  int failures = 0;
  for (int64_t free : FreeLevels(needed)) {
    CAPTURE(free);
    SmallDisk disk(needed + (4 << 20));
    REQUIRE_DISK(disk);
    // The device lives on the small disk; the vault does not.
    const fs::path device = disk.path() / "handset";
    fs::copy(h.tree, device, fs::copy_options::recursive);
    testing::TempDir work;
    const std::string vault = (work / "vault.db").string();
    const std::string config = (work / "config.json").string();
    REQUIRE(RunProcess(WithVault(vault, config, {"init"})).exit_code == kExitOk);
    for (const auto& source : testing::kHandsetSources) {
      REQUIRE(RunProcess(WithVault(vault, config, {"source", "add", "--kind", source[0], (device / source[1]).string(),
                                                   "--name", source[1]}))
                  .exit_code == kExitOk);
    }
    REQUIRE(RunProcess(WithVault(vault, config, {"capture"})).exit_code == kExitOk);
    // The device is reset: its folders are there, empty.
    for (const auto& source : testing::kHandsetSources) {
      fs::remove_all(device / source[1]);
      fs::create_directories(device / source[1]);
    }
    disk.Fill(free);
    ProcessResult full = RunProcess(WithVault(vault, config, {"restore-device"}));
    if (full.exit_code != kExitOk) {
      ++failures;
      CheckNoSpace(full, device);
      // Every file under its real name is whole.
      for (const auto& [path, bytes] : TreeBytes(device)) {
        if (fs::path(path).filename().string().rfind(".holdfast-", 0) == 0) continue;
        auto was = original.find(path);
        REQUIRE_MESSAGE(was != original.end(), path);
        CHECK_MESSAGE(bytes == was->second, path);
      }
      CHECK(testing::Leftovers(device).empty());
    }
    CheckVerifies(vault, config);
    disk.Unfill();
    ProcessResult again = RunProcess(WithVault(vault, config, {"restore-device"}));
    CHECK_MESSAGE(again.exit_code == kExitOk, again.out << again.err);
    CHECK(TreeBytes(device) == original);
  }
  MESSAGE(failures << " of " << FreeLevels(needed).size() << " restores hit the full disk");
  CHECK(failures > 0);
}

}  // namespace
}  // namespace holdfast
