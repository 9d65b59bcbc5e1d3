// The conformance suite (tools/conformance, holdfast-conformance) against the
// reference server: every check passes; and, as its negative control, the same
// suite against the reference server started with a fault that breaks one
// rule of docs/protocol.md reports that rule as FAIL and exits non-zero.
#include <doctest/doctest.h>

#include <cstdlib>
#include <sstream>

#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

std::string ConformanceBinary() {
  const char* bin = std::getenv("HOLDFAST_CONFORMANCE_BIN");
  REQUIRE_MESSAGE(bin != nullptr, "run with ctest: HOLDFAST_CONFORMANCE_BIN is not set");
  return bin;
}

// The lines of `out` that start with `prefix`.
std::vector<std::string> LinesStarting(const std::string& out, const std::string& prefix) {
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) lines.push_back(line);
  }
  return lines;
}

struct Run {
  testing::ProcessResult result;
  std::vector<std::string> passed, failed, skipped;
};

// Starts the reference server with `extra` arguments and two accounts, and
// runs the suite against it.
Run RunSuite(const std::vector<std::string>& extra, bool second_account = true) {
  testing::TempDir dir;
  const std::string data = (dir / "data").string();
  testing::WriteTokenFile(dir / "phone.token", testing::AddAccount(data, "phone"));
  testing::WriteTokenFile(dir / "tablet.token", testing::AddAccount(data, "tablet"));
  testing::ServerProcess server(data, extra);
  std::vector<std::string> argv = {ConformanceBinary(), "--url", server.url(), "--account", "phone",
                                   "--token-file", (dir / "phone.token").string()};
  if (second_account) {
    argv.insert(argv.end(), {"--second-account", "tablet", "--second-token-file", (dir / "tablet.token").string()});
  }
  Run run;
  run.result = testing::RunProcess(argv);
  run.passed = LinesStarting(run.result.out, "PASS ");
  run.failed = LinesStarting(run.result.out, "FAIL ");
  run.skipped = LinesStarting(run.result.out, "SKIP ");
  return run;
}

TEST_CASE("the reference server passes every check of the conformance suite") {
  Run run = RunSuite({});
  INFO(run.result.out << run.result.err);
  CHECK(run.result.exit_code == 0);
  CHECK(run.failed.empty());
  CHECK(run.skipped.empty());
  CHECK(run.passed.size() >= 70);
  CHECK(run.result.out.find("passed, 0 failed, 0 skipped") != std::string::npos);
}

TEST_CASE("without a second account the 403 checks are skipped, not passed") {
  Run run = RunSuite({}, false);
  INFO(run.result.out << run.result.err);
  CHECK(run.result.exit_code == 0);
  CHECK(run.failed.empty());
  CHECK(run.skipped.size() == 3);
}

TEST_CASE("negative control: a server answering 200 to a chunk at the wrong offset fails the 409 checks") {
  Run run = RunSuite({"--faults", "offset_mismatch_200=1"});
  INFO(run.result.out << run.result.err);
  CHECK(run.result.exit_code == 1);
  REQUIRE(run.failed.size() == 2);
  CHECK(run.failed[0].rfind("FAIL blob/offset-mismatch-409-with-offset: offset 0: expected HTTP 409, got HTTP 200", 0) == 0);
  CHECK(run.failed[1].rfind("FAIL concurrent/same-chunk-twice-one-409:", 0) == 0);
}

TEST_CASE("an unreachable server or a missing token file: exit 2, no check passes") {
  testing::TempDir dir;
  testing::ProcessResult missing = testing::RunProcess(
      {ConformanceBinary(), "--url", "http://127.0.0.1:1", "--account", "a", "--token-file", (dir / "none").string()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("cannot read the token file") != std::string::npos);
  testing::WriteTokenFile(dir / "t", "0123");
  testing::ProcessResult down = testing::RunProcess(
      {ConformanceBinary(), "--url", "http://127.0.0.1:1", "--account", "a", "--token-file", (dir / "t").string()});
  CHECK(down.exit_code == 2);
  CHECK(down.err.find("does not answer") != std::string::npos);
  CHECK(LinesStarting(down.out, "PASS ").empty());
}

}  // namespace
}  // namespace holdfast
