#include "platform/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace holdfast::platform {

Result<FileLock> FileLock::Acquire(const std::filesystem::path& lock_path) {
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("open lock file " + lock_path.string(), errno);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string holder(32, '\0');
    ssize_t n = pread(fd, holder.data(), holder.size(), 0);
    close(fd);
    if (err != EWOULDBLOCK) return ErrnoStatus("lock " + lock_path.string(), err);
    holder.resize(n > 0 ? static_cast<size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    return Status(ErrorCode::kVaultLocked,
                  "vault is in use by process " + (holder.empty() ? std::string("(unknown)") : holder) +
                      " (lock file " + lock_path.string() + ")");
  }
  // Record who holds it, for the next process's message. Not durable on
  // purpose: the lock itself lives in the kernel, not in this text.
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    int err = errno;
    close(fd);
    return ErrnoStatus("write lock file " + lock_path.string(), err);
  }
  return FileLock(fd);
}

Status FileLock::LockTarget(const std::filesystem::path& file) {
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return ErrnoStatus("open " + file.string() + " to lock it", errno);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(fd);
    if (err != EWOULDBLOCK) return ErrnoStatus("lock " + file.string(), err);
    return Status(ErrorCode::kVaultLocked,
                  "vault is in use by another process that opened the same file under another name "
                  "(a hard link to " + file.string() + ")");
  }
  target_fd_ = fd;
  return Status::Ok();
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(other.fd_), target_fd_(other.target_fd_) {
  other.fd_ = -1;
  other.target_fd_ = -1;
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (target_fd_ >= 0) close(target_fd_);
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    target_fd_ = other.target_fd_;
    other.fd_ = -1;
    other.target_fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  // Closing releases the flocks. The caller closes its own handles to the
  // target first (Vault: its SQLite connection), as closing any descriptor of
  // a file drops the process's POSIX record locks on it.
  if (target_fd_ >= 0) close(target_fd_);
  if (fd_ >= 0) close(fd_);
}

}  // namespace holdfast::platform
