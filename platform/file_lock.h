// An exclusive, process-wide lock on a file, held until destruction.
//
// Used so that two agents never write one vault: the second is told which
// process holds it. The lock is an advisory flock() on a separate lock file
// ("<vault>.lock", mode 0600) that records the holder's pid; the OS drops it
// when the holder exits or is killed, so a stale lock file never blocks.
// Not thread-safe; one FileLock per process per path.
#pragma once

#include <filesystem>

#include "platform/status.h"

namespace holdfast::platform {

class FileLock {
 public:
  // Takes the lock without waiting. Errors: kVaultLocked "in use by process N"
  // when another process holds it; kPermission/kIoError/kNotFound otherwise.
  static Result<FileLock> Acquire(const std::filesystem::path& lock_path);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace holdfast::platform
