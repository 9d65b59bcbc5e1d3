// kill -9 of the real `holdfast export` and `holdfast restore-device` at
// random moments: the target is never half-written, and the next run
// finishes the job.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <chrono>
#include <map>
#include <random>

#include "agent/exit_codes.h"
#include "tests/support/child_process.h"
#include "tests/support/handset.h"
#include "tests/support/inventory.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitOk;
using testing::TreeBytes;
using testing::ReadFileBytes;
using testing::RunProcess;

std::vector<std::string> Hidden(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(".holdfast-", 0) == 0) names.push_back(entry.path().string());
  }
  return names;
}

std::vector<std::string> WithVault(const testing::Handset& h, std::vector<std::string> args) {
  args.insert(args.begin(), {testing::HoldfastBinary(), "--vault", h.vault, "--config", h.config});
  return args;
}

TEST_CASE("an export killed at any moment leaves no target or a whole one, and the next export cleans up") {
  testing::Handset h;
  REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);
  const fs::path out = h.dir / "exports";
  fs::create_directories(out);
  std::mt19937_64 rng(4242);
  int whole = 0, absent = 0;
  for (int i = 0; i < 20; ++i) {
    CAPTURE(i);
    const bool archive = i % 2 == 0;
    const fs::path target = out / (archive ? "all.tar" : "tree");
    testing::ChildProcess child(WithVault(h, {"export", "--force", "--format", archive ? "archive" : "vdir",
                                              "--to", target.string()}));
    child.ReadFor(static_cast<int>(rng() % 120));
    child.KillAndWait();
    if (!fs::exists(target)) {
      ++absent;
      continue;
    }
    ++whole;
    if (archive) {
      testing::TempDir extract;
      REQUIRE(RunProcess({"/bin/tar", "-xf", target.string(), "-C", extract.path().string()}).exit_code == 0);
      CHECK(RunProcess({"/bin/sh", "-c", "cd '" + (extract.path() / "holdfast-export").string() +
                                             "' && sha256sum --quiet -c SHA256SUMS"})
                .exit_code == 0);
    } else {
      CHECK(TreeBytes(target / "contacts") == TreeBytes(h.tree / "contacts"));
      CHECK(TreeBytes(target / "photos") == TreeBytes(h.tree / "photos"));
    }
  }
  MESSAGE(whole << " kills found a whole export, " << absent << " found none");
  // A completed export removes what the killed ones left.
  REQUIRE(h.Holdfast({"export", "--force", "--format", "archive", "--to", (out / "all.tar").string()}).exit_code ==
          kExitOk);
  REQUIRE(h.Holdfast({"export", "--force", "--format", "vdir", "--to", (out / "tree").string()}).exit_code == kExitOk);
  CHECK(Hidden(out).empty());
}

TEST_CASE("a restore killed at any moment leaves only whole files, and the next restore completes the device") {
  testing::Handset h;
  REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);
  std::map<std::string, std::string> before = TreeBytes(h.tree);
  std::mt19937_64 rng(777);
  for (int i = 0; i < 20; ++i) {
    CAPTURE(i);
    fs::remove_all(h.tree);
    testing::ChildProcess child(WithVault(h, {"restore-device"}));
    child.ReadFor(static_cast<int>(rng() % 150));
    child.KillAndWait();
    if (!fs::exists(h.tree)) continue;  // killed before it created anything
    // Every file under its real name is whole.
    for (const auto& [path, bytes] : TreeBytes(h.tree)) {
      if (fs::path(path).filename().string().rfind(".holdfast-", 0) == 0) continue;
      auto original = before.find(path);
      REQUIRE_MESSAGE(original != before.end(), path);
      CHECK_MESSAGE(bytes == original->second, path);
    }
  }
  testing::ProcessResult finished = h.Holdfast({"restore-device"});
  REQUIRE_MESSAGE(finished.exit_code == kExitOk, (finished.out + finished.err));
  std::map<std::string, std::string> after = TreeBytes(h.tree);
  // Temp files of killed runs are hidden names capture skips; none is an item.
  for (auto it = after.begin(); it != after.end();) {
    it = fs::path(it->first).filename().string().rfind(".holdfast-", 0) == 0 ? after.erase(it) : std::next(it);
  }
  CHECK(after == before);
  testing::ProcessResult capture = h.Holdfast({"capture"});
  CHECK(capture.exit_code == kExitOk);
  CHECK(capture.out.find("0 new, 0 changed, 0 back, 0 moved, 0 deleted") != std::string::npos);
  CHECK(capture.out.find("deleted; 0 skipped") != std::string::npos);
}

}  // namespace
}  // namespace holdfast
