// kill -9 of the real `holdfast capture` at random moments: each time the
// vault opens and verifies, and the next capture finishes the job so that the
// vault ends up holding exactly what the handset holds.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <random>

#include "agent/exit_codes.h"
#include "storage/vault.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitOk;
using testing::ReadFileBytes;
using testing::RunProcess;

TEST_CASE("capture killed at random moments leaves a consistent vault that the next capture completes") {
  const char* gen = std::getenv("HOLDFAST_GEN_BIN");
  REQUIRE_MESSAGE(gen != nullptr, "run with ctest: HOLDFAST_GEN_BIN is not set");
  testing::TempDir dir;
  const fs::path tree = dir / "handset";
  const std::string vault_path = (dir / "vault.db").string();
  const std::string config = (dir / "config.json").string();
  auto holdfast = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {testing::HoldfastBinary(), "--vault", vault_path, "--config", config});
    return args;
  };
  REQUIRE(RunProcess({gen, "--profile", "small", "--seed", "11", "--out", tree.string()}).exit_code == 0);
  REQUIRE(RunProcess(holdfast({"init"})).exit_code == kExitOk);
  for (const char* source : {"contacts", "calendars", "photos"}) {
    const char* kind = std::string(source) == "calendars" ? "calendar" : source;
    REQUIRE(RunProcess(holdfast({"source", "add", "--kind", kind, (tree / source).string()})).exit_code == kExitOk);
  }

  std::mt19937_64 rng(1009);
  constexpr int kRounds = 30;
  int killed_mid_run = 0;
  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    if (round % 4 == 3) {
      // The user keeps using the phone: edits and new files between captures.
      for (const auto& entry : fs::directory_iterator(tree / "contacts/personal")) {
        if (rng() % 10 == 0) {
          std::string card = ReadFileBytes(entry.path());
          card.insert(card.rfind("END:VCARD"), "NOTE:edited in round " + std::to_string(round) + "\r\n");
          testing::WriteFileBytes(entry.path(), card);
        }
      }
    }
    // New mtimes on every file: each capture has the whole handset to re-read,
    // so the kill lands in the middle of real work.
    for (const auto& entry : fs::recursive_directory_iterator(tree)) {
      if (entry.is_regular_file()) {
        fs::last_write_time(entry.path(), fs::file_time_type::clock::now() + std::chrono::seconds(round));
      }
    }
    testing::ChildProcess child(holdfast({"capture"}));
    child.ReadFor(static_cast<int>(rng() % 60));
    int wstatus = child.KillAndWait();
    if (WIFSIGNALED(wstatus)) ++killed_mid_run;

    Result<std::unique_ptr<storage::Vault>> vault =
        storage::Vault::Open(vault_path, storage::Vault::OpenMode::kExisting);
    REQUIRE_MESSAGE(vault.has_value(), vault.error().ToString());
    Result<storage::VerifyReport> report = (*vault)->Verify();
    REQUIRE(report);
    CHECK(report->ok());
  }
  CHECK(killed_mid_run > kRounds / 3);  // the harness really interrupted captures
  MESSAGE("killed " << killed_mid_run << " of " << kRounds << " captures mid-run");

  testing::ProcessResult final_run = RunProcess(holdfast({"capture"}));
  REQUIRE_MESSAGE(final_run.exit_code == kExitOk, (final_run.out + final_run.err));
  std::unique_ptr<storage::Vault> vault =
      *storage::Vault::Open(vault_path, storage::Vault::OpenMode::kExisting);
  size_t files = 0;
  for (const char* source : {"contacts", "calendars", "photos"}) {
    for (const auto& entry : fs::recursive_directory_iterator(tree / source)) {
      if (entry.is_regular_file()) ++files;
    }
  }
  size_t live = 0;
  for (const storage::CollectionInfo& c : *vault->ListCollections()) {
    const std::string root = (tree / c.source).string();
    for (const storage::ItemRecord& item : *vault->ListItems(c.id)) {
      CHECK_FALSE(item.deleted);
      if (item.deleted) continue;
      ++live;
      CAPTURE(item.source_path);
      CHECK(*vault->ReadRevisionBytes(item.head_revision_id, 1 << 26) ==
            ReadFileBytes(fs::path(root) / item.source_path));
    }
  }
  CHECK(live == files);  // every file once: nothing lost, nothing doubled
  CHECK((*vault->Verify()).ok());
}

}  // namespace
}  // namespace holdfast
