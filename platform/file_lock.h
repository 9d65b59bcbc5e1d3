// An exclusive, process-wide lock on a file, held until destruction.
//
// Used so that two agents never write one vault: the second is told which
// process holds it. The lock is an advisory flock() on a separate lock file
// ("<vault>.lock", mode 0600) that records the holder's pid; the OS drops it
// when the holder exits or is killed, so a stale lock file never blocks.
// A lock file is found by name, and a file can have several (hard links), so
// LockTarget also takes a flock() on the locked file itself: the lock then
// belongs to the file, whatever name each process opened it by. (flock()
// and the POSIX record locks SQLite takes on the same file do not interact
// on Linux.)
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

  // Also locks `file` itself (it must exist), without waiting, and holds
  // that lock as long as this one. Errors: kVaultLocked when another open of
  // the same file, under any name, holds it; kNotFound/kPermission/kIoError.
  // Once per FileLock.
  Status LockTarget(const std::filesystem::path& file);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
  int target_fd_ = -1;
};

}  // namespace holdfast::platform
