// Files, durable writes, locks and folder scans against the real file system.
#include "platform/files.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "platform/dir_scan.h"
#include "platform/file_lock.h"
#include "tests/support/temp_dir.h"

namespace holdfast::platform {
namespace {

using testing::ReadFileBytes;
using testing::TempDir;
using testing::WriteFileBytes;

TEST_CASE("ReadWholeFile gives the exact bytes of files of any size up to the limit") {
  TempDir dir;
  for (size_t size : {size_t{0}, size_t{1}, size_t{65535}, size_t{65536}, size_t{200001}}) {
    CAPTURE(size);
    std::string bytes(size, '\0');
    for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i * 7 + 3);
    WriteFileBytes(dir / "f", bytes);
    Result<std::string> read = ReadWholeFile(dir / "f", 1 << 20);
    REQUIRE(read);
    CHECK(*read == bytes);
  }
}

TEST_CASE("ReadWholeFile refuses files over the limit, folders and missing files with the path") {
  TempDir dir;
  WriteFileBytes(dir / "big", std::string(101, 'x'));
  Result<std::string> big = ReadWholeFile(dir / "big", 100);
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error().code() == ErrorCode::kInvalidArgument);
  CHECK(big.error().message().find((dir / "big").string()) != std::string::npos);
  CHECK(ReadWholeFile(dir / "big", 101).has_value());
  CHECK(ReadWholeFile(dir.path(), 100).error().code() == ErrorCode::kInvalidArgument);
  CHECK(ReadWholeFile(dir / "none", 100).error().code() == ErrorCode::kNotFound);
}

TEST_CASE("WriteFileAtomically replaces a file whole, with the mode asked, and leaves no temp file") {
  TempDir dir;
  WriteFileBytes(dir / "config.json", "old");
  REQUIRE(WriteFileAtomically(dir / "config.json", "new content", 0600).ok());
  CHECK(ReadFileBytes(dir / "config.json") == "new content");
  struct stat st {};
  REQUIRE(stat((dir / "config.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++entries;
  }
  CHECK(entries == 1);
  // Into a folder that does not exist: an error naming it, nothing written.
  Status missing = WriteFileAtomically(dir / "gone/x", "y");
  CHECK(missing.code() == ErrorCode::kNotFound);
  CHECK(missing.message().find("gone") != std::string::npos);
}

TEST_CASE("EnsurePrivateDir creates missing folders 0700 and refuses a file in the way") {
  TempDir dir;
  REQUIRE(EnsurePrivateDir(dir / "a/b/c").ok());
  struct stat st {};
  REQUIRE(stat((dir / "a/b/c").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  CHECK(EnsurePrivateDir(dir / "a/b/c").ok());
  WriteFileBytes(dir / "file", "x");
  CHECK(EnsurePrivateDir(dir / "file").code() == ErrorCode::kAlreadyExists);
}

TEST_CASE("a second lock on the same file is refused with the holder's pid until released") {
  TempDir dir;
  std::optional<FileLock> first;
  {
    Result<FileLock> lock = FileLock::Acquire(dir / "v.lock");
    REQUIRE(lock);
    first.emplace(std::move(*lock));
  }
  Result<FileLock> second = FileLock::Acquire(dir / "v.lock");
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().code() == ErrorCode::kVaultLocked);
  CHECK(second.error().message().find("process " + std::to_string(getpid())) != std::string::npos);
  first.reset();
  CHECK(FileLock::Acquire(dir / "v.lock").has_value());
}

TEST_CASE("ScanTree lists regular files to the depth asked, skipping hidden entries and links") {
  TempDir dir;
  std::filesystem::create_directories(dir / "root/a/b");
  WriteFileBytes(dir / "root/top.vcf", "1");
  WriteFileBytes(dir / "root/a/mid.vcf", "22");
  WriteFileBytes(dir / "root/a/b/deep.vcf", "333");
  WriteFileBytes(dir / "root/.hidden", "x");
  std::filesystem::create_symlink(dir / "root/top.vcf", dir / "root/link.vcf");
  Result<ScanResult> shallow = ScanTree(dir / "root", 1);
  REQUIRE(shallow);
  REQUIRE(shallow->files.size() == 2);
  CHECK(shallow->files[0].path == "a/mid.vcf");
  CHECK(shallow->files[0].size_bytes == 2);
  CHECK(shallow->files[1].path == "top.vcf");
  Result<ScanResult> deep = ScanTree(dir / "root", 8);
  REQUIRE(deep);
  CHECK(deep->files.size() == 3);
  CHECK(ScanTree(dir / "missing", 1).error().code() == ErrorCode::kNotFound);
  CHECK(ScanTree(dir / "root/top.vcf", 1).error().code() == ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace holdfast::platform
