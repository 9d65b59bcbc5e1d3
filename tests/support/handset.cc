#include "tests/support/handset.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>

#include "agent/exit_codes.h"

namespace holdfast::testing {

namespace fs = std::filesystem;
using agent::kExitOk;

Handset::Handset(bool malformed, int seed) {
  const char* gen = std::getenv("HOLDFAST_GEN_BIN");
  REQUIRE_MESSAGE(gen != nullptr, "run with ctest: HOLDFAST_GEN_BIN is not set");
  std::vector<std::string> args = {gen, "--profile", "small", "--seed", std::to_string(seed), "--out", tree.string()};
  if (malformed) args.push_back("--malformed");
  ProcessResult made = RunProcess(args);
  REQUIRE_MESSAGE(made.exit_code == 0, made.err);
  REQUIRE(Holdfast({"init"}).exit_code == kExitOk);
  for (const auto& source : kHandsetSources) {
    ProcessResult added =
        Holdfast({"source", "add", "--kind", source[0], (tree / source[1]).string(), "--name", source[1]});
    REQUIRE_MESSAGE(added.exit_code == kExitOk, added.err);
  }
}

ProcessResult Handset::Holdfast(std::vector<std::string> args) const {
  args.insert(args.begin(), {HoldfastBinary(), "--vault", vault, "--config", config});
  return RunProcess(args);
}

nlohmann::json Handset::Status() const {
  ProcessResult status = Holdfast({"status", "--json"});
  REQUIRE_MESSAGE(status.exit_code == kExitOk, status.err);
  return nlohmann::json::parse(status.out);
}

std::vector<fs::path> FilesIn(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace holdfast::testing
