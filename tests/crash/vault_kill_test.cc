// kill -9 of a process writing revisions, at random moments: the vault must
// open, verify, and hold every revision the child reported as committed.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <random>
#include <set>
#include <sstream>

#include "platform/sha256.h"
#include "storage/vault.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace holdfast::storage {
namespace {

struct Committed {
  int64_t collection_id;
  std::string uid;
  std::string sha_hex;
};

std::vector<Committed> ParseCommitted(const std::string& output) {
  std::vector<Committed> out;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    // A line cut by the kill has no newline: std::getline still returns it,
    // but it is incomplete, so only whole lines with all fields count.
    std::istringstream fields(line);
    std::string word;
    Committed c;
    if (fields >> word >> c.collection_id >> c.uid >> c.sha_hex && word == "committed" &&
        c.sha_hex.size() == 64) {
      out.push_back(c);
    }
  }
  return out;
}

int KillCount() {
  const char* env = std::getenv("HOLDFAST_KILL_COUNT");
  return env != nullptr ? std::atoi(env) : 50;
}

// Runs `rounds` kill rounds of vault_tool write-revisions (with `extra_args`)
// and returns how many reported revisions were missing after reopening.
struct KillOutcome {
  size_t committed = 0;
  size_t missing = 0;
  size_t damage = 0;
};

KillOutcome KillRounds(int rounds, const std::vector<std::string>& extra_args) {
  const char* tool = std::getenv("HOLDFAST_VAULT_TOOL");
  REQUIRE_MESSAGE(tool != nullptr, "run with ctest: HOLDFAST_VAULT_TOOL is not set");
  testing::TempDir dir;
  const std::string vault_path = (dir / "vault.db").string();
  std::mt19937_64 rng(20091011);  // the seed is fixed so a failure can be replayed
  KillOutcome outcome;
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    std::vector<std::string> argv = {tool, "write-revisions", vault_path, std::to_string(round)};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    testing::ChildProcess child(argv);
    // Let it run 20..220 ms: long enough to commit a few times (each commit
    // waits for fsync), short enough to die in the middle of a write.
    child.ReadFor(static_cast<int>(20 + rng() % 200));
    int wstatus = child.KillAndWait();
    REQUIRE_MESSAGE(WIFSIGNALED(wstatus), "the writer exited on its own: " << child.output());
    std::vector<Committed> committed = ParseCommitted(child.output());
    outcome.committed += committed.size();

    Result<std::unique_ptr<Vault>> vault = Vault::Open(vault_path, Vault::OpenMode::kExisting);
    REQUIRE_MESSAGE(vault.has_value(), vault.error().ToString());
    Result<VerifyReport> report = (*vault)->Verify();
    REQUIRE(report);
    outcome.damage += report->damage.size();
    for (const Damage& d : report->damage) MESSAGE(d.what << " " << d.where << ": " << d.detail);

    for (const Committed& c : committed) {
      Result<std::vector<RevisionInfo>> revisions = (*vault)->ListRevisions(c.collection_id, c.uid);
      REQUIRE(revisions);
      bool found = false;
      for (const RevisionInfo& r : *revisions) found = found || platform::ToHex(r.sha256) == c.sha_hex;
      if (!found) ++outcome.missing;
    }
  }
  return outcome;
}

TEST_CASE("a vault writer killed at random moments loses nothing it reported committed") {
  const int kills = KillCount();
  KillOutcome outcome = KillRounds(kills, {});
  CHECK(outcome.damage == 0);
  CHECK(outcome.missing == 0);
  // The harness must have had commits to check, or it proves nothing.
  CHECK(outcome.committed > static_cast<size_t>(kills));
  MESSAGE("killed the writer " << kills << " times; checked " << outcome.committed
                               << " committed revisions");
}

TEST_CASE("negative control: the kill harness catches a writer that reports uncommitted work") {
  KillOutcome outcome = KillRounds(5, {"--lie"});
  CHECK(outcome.committed > 0);
  CHECK(outcome.missing > 0);
}

}  // namespace
}  // namespace holdfast::storage
