// The holdfast command line as a user meets it: help, version, init in the
// default place, status in both forms, and usage errors.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "agent/exit_codes.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

using agent::kExitOk;
using agent::kExitUsage;
using testing::ProcessResult;
using testing::RunProcess;
using testing::TempDir;

TEST_CASE("--version and --help answer without a vault") {
  ProcessResult version = RunProcess({testing::HoldfastBinary(), "--version"});
  CHECK(version.exit_code == kExitOk);
  CHECK(version.out.rfind("holdfast ", 0) == 0);
  ProcessResult help = RunProcess({testing::HoldfastBinary(), "--help"});
  CHECK(help.exit_code == kExitOk);
  for (const char* command : {"init", "status", "verify", "source", "capture", "--vault", "--config"}) {
    CHECK_MESSAGE(help.out.find(command) != std::string::npos, command);
  }
}

TEST_CASE("a bad command line exits 2 and says what is wrong") {
  ProcessResult none = RunProcess({testing::HoldfastBinary()});
  CHECK(none.exit_code == kExitUsage);
  ProcessResult unknown = RunProcess({testing::HoldfastBinary(), "frobnicate"});
  CHECK(unknown.exit_code == kExitUsage);
  CHECK(unknown.err.find("frobnicate") != std::string::npos);
}

TEST_CASE("init creates the vault under XDG_DATA_HOME, refuses a second init, and status reads it") {
  TempDir dir;
  const std::vector<std::string> env = {"XDG_DATA_HOME=" + (dir / "data").string(),
                                        "XDG_CONFIG_HOME=" + (dir / "config").string()};
  ProcessResult init = RunProcess({testing::HoldfastBinary(), "init"}, env);
  REQUIRE_MESSAGE(init.exit_code == kExitOk, init.err);
  const auto vault = dir / "data/holdfast/vault.db";
  struct stat st {};
  REQUIRE(stat(vault.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(stat((dir / "data/holdfast").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  ProcessResult again = RunProcess({testing::HoldfastBinary(), "init"}, env);
  CHECK(again.exit_code == kExitUsage);
  CHECK(again.err.find("already exists") != std::string::npos);

  ProcessResult text = RunProcess({testing::HoldfastBinary(), "status"}, env);
  CHECK(text.exit_code == kExitOk);
  CHECK(text.out.find("Vault      " + vault.string()) != std::string::npos);
  ProcessResult json = RunProcess({testing::HoldfastBinary(), "status", "--json"}, env);
  REQUIRE(json.exit_code == kExitOk);
  nlohmann::json doc = nlohmann::json::parse(json.out);
  CHECK(doc["vault"] == vault.string());
  CHECK(doc["schema_version"] == 6);
  CHECK(doc["device_id"].get<std::string>().size() == 32);
  CHECK(doc["kinds"]["contact"]["items"] == 0);
}

TEST_CASE("source add refuses an unknown kind and a duplicate name") {
  TempDir dir;
  const std::string config = (dir / "config.json").string();
  ProcessResult bad = RunProcess({testing::HoldfastBinary(), "--config", config, "source", "add", "--kind",
                                  "faxes", (dir / "x").string()});
  CHECK(bad.exit_code == kExitUsage);
  CHECK(bad.err.find("contacts, calendar, tasks, notes, photos or eds") != std::string::npos);
  ProcessResult first = RunProcess({testing::HoldfastBinary(), "--config", config, "source", "add",
                                    "--kind", "photos", (dir / "DCIM").string()});
  CHECK(first.exit_code == kExitOk);
  CHECK(first.err.find("does not exist yet") != std::string::npos);
  ProcessResult twice = RunProcess({testing::HoldfastBinary(), "--config", config, "source", "add",
                                    "--kind", "photos", (dir / "DCIM").string()});
  CHECK(twice.exit_code == kExitUsage);
  CHECK(twice.err.find("already exists") != std::string::npos);
  ProcessResult list = RunProcess({testing::HoldfastBinary(), "--config", config, "source", "list"});
  CHECK(list.out.find("DCIM\tphotos\t") != std::string::npos);
}

}  // namespace
}  // namespace holdfast
