// A blob larger than the process may hold in memory streams in and out.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <sstream>

#include "platform/sha256.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

TEST_CASE("a 384 MiB file streams into the blob store and back in a process limited to 192 MiB") {
  const char* tool = std::getenv("HOLDFAST_VAULT_TOOL");
  REQUIRE_MESSAGE(tool != nullptr, "run with ctest: HOLDFAST_VAULT_TOOL is not set");
  testing::TempDir dir;
  const std::string file = (dir / "video.mp4").string();
  constexpr size_t kFileMiB = 384;
  platform::Sha256 hasher;
  {
    int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    std::mt19937_64 rng(4);
    std::vector<uint64_t> block(1 << 17);  // 1 MiB
    for (size_t i = 0; i < kFileMiB; ++i) {
      for (uint64_t& word : block) word = rng();
      hasher.Update(block.data(), block.size() * sizeof(uint64_t));
      REQUIRE(write(fd, block.data(), block.size() * sizeof(uint64_t)) ==
              static_cast<ssize_t>(block.size() * sizeof(uint64_t)));
    }
    close(fd);
  }
  const std::string expected = platform::ToHex(hasher.Finish()) + " " + std::to_string(kFileMiB << 20);

  testing::ProcessResult run =
      testing::RunProcess({tool, "put-blob", (dir / "vault.db").string(), file, "192"});
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  CHECK(run.out.find("stored " + expected) != std::string::npos);
  CHECK(run.out.find("readback " + expected) != std::string::npos);
}

TEST_CASE("the memory limit is real: loading the whole file in that process fails") {
  // Negative control: the same limit must stop a process that reads the file
  // into memory, or the test above proves nothing about streaming.
  const char* tool = std::getenv("HOLDFAST_VAULT_TOOL");
  REQUIRE(tool != nullptr);
  testing::TempDir dir;
  testing::ProcessResult run = testing::RunProcess({tool, "alloc", "384", "192"});
  CHECK(run.exit_code != 0);
  CHECK(run.err.find("cannot allocate") != std::string::npos);
}

}  // namespace
}  // namespace holdfast
