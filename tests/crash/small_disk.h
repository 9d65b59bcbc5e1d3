// A small file system for full-disk tests: a tmpfs mounted on a fresh
// folder (root only; mounted() says whether it worked), unmounted at the end.
// Used by disk_full_test.cc and agent_fault_test.cc.
#pragma once

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <doctest/doctest.h>
#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace holdfast::testing {

// A tmpfs of `size_bytes` mounted on a fresh folder, unmounted at the end.
class SmallDisk {
 public:
  explicit SmallDisk(int64_t size_bytes) {
    std::filesystem::create_directories(path_);
    const std::string options = "size=" + std::to_string(size_bytes);
    mounted_ = mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~SmallDisk() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::filesystem::path& path() const { return path_; }

  int64_t FreeBytes() const {
    struct statvfs st {};
    REQUIRE(statvfs(path_.c_str(), &st) == 0);
    return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
  }
  // Takes all but `leave_bytes` of the free space with a filler file.
  void Fill(int64_t leave_bytes) {
    const int64_t take = FreeBytes() - leave_bytes;
    if (take <= 0) return;
    const int fd = open((path_ / ".filler").c_str(), O_WRONLY | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    const int64_t held = static_cast<int64_t>(std::filesystem::file_size(path_ / ".filler"));
    REQUIRE(posix_fallocate(fd, 0, held + take) == 0);
    close(fd);
  }
  // Space returns.
  void Unfill() { std::filesystem::remove(path_ / ".filler"); }

 private:
  testing::TempDir dir_;
  std::filesystem::path path_ = dir_ / "small-disk";
  bool mounted_ = false;
  std::string error_;
};

}  // namespace holdfast::testing
