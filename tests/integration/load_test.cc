// Many devices at once against the reference server (tools/bench/load_gen.cc,
// scaled down from tools/bench/load_bench.sh): with a low stated capacity
// (--max-inflight) the server answers the excess with 429 and Retry-After,
// loses nothing, and every device converges. Negative control: a generator
// that skips one batch on purpose is caught by the same convergence check.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

constexpr int kDevices = 100;

std::string LoadGenBinary() {
  const char* bin = std::getenv("HOLDFAST_LOAD_GEN_BIN");
  REQUIRE_MESSAGE(bin != nullptr, "run with ctest: HOLDFAST_LOAD_GEN_BIN is not set");
  return bin;
}

struct LoadRun {
  testing::ProcessResult result;
  nlohmann::json report;
};

// kDevices accounts, a server with `max_inflight` (0: no limit) and room for
// a connection per device, and the generator with `extra` arguments.
LoadRun RunLoad(int max_inflight, const std::vector<std::string>& extra = {}) {
  testing::TempDir dir;
  const std::string data = (dir / "data").string();
  testing::ProcessResult accounts = testing::RunProcess(
      {testing::ServerBinary(), "add-account", "--data", data, "--account", "device", "--count", std::to_string(kDevices)});
  REQUIRE_MESSAGE(accounts.exit_code == 0, accounts.err);
  std::ofstream(dir / "accounts") << accounts.out;
  const std::string room = std::to_string(kDevices + 16);
  testing::ServerProcess server(data, {"--max-inflight", std::to_string(max_inflight), "--worker-threads", room,
                                       "--max-connections-per-client", room});
  std::vector<std::string> argv = {LoadGenBinary(), "--url", server.url(), "--accounts", (dir / "accounts").string(),
                                   "--devices", std::to_string(kDevices), "--items", "20", "--batch", "5",
                                   "--max-seconds", "120"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  LoadRun run;
  run.result = testing::RunProcess(argv);
  run.report = nlohmann::json::parse(run.result.out, nullptr, false);
  REQUIRE_MESSAGE(run.report.is_object(), run.result.out << run.result.err);
  return run;
}

TEST_CASE("100 devices over a capacity of 4 requests: 429 with Retry-After, nothing lost, every device converges") {
  LoadRun run = RunLoad(4);
  INFO(run.result.out << run.result.err);
  CHECK(run.result.exit_code == 0);
  CHECK(run.report["converged"] == kDevices);
  CHECK(run.report["items_stored"] == kDevices * 20);
  CHECK(run.report["unexpected"] == 0);
  CHECK(run.report["rate_limited_429"].get<int64_t>() > 0);
  CHECK(run.report["rate_limited_without_retry_after"] == 0);
}

TEST_CASE("with no capacity limit the same load gets no 429") {
  LoadRun run = RunLoad(0);
  INFO(run.result.out << run.result.err);
  CHECK(run.result.exit_code == 0);
  CHECK(run.report["converged"] == kDevices);
  CHECK(run.report["rate_limited_429"] == 0);
}

TEST_CASE("negative control: a batch the generator skips on purpose leaves its device not converged") {
  LoadRun run = RunLoad(4, {"--drop-batch"});
  INFO(run.result.out << run.result.err);
  CHECK(run.result.exit_code == 1);
  CHECK(run.report["converged"] == kDevices - 1);
  REQUIRE(run.report["not_converged"].size() == 1);
  CHECK(run.report["not_converged"][0]["device"] == 1);
}

}  // namespace
}  // namespace holdfast
