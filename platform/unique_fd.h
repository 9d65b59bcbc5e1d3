// UniqueFd: the owner of a POSIX file descriptor, the RAII fd holder that
// platform/files.cc and platform/staged_files.cc (and their callers) share.
// Move-only; closes what it holds when destroyed or assigned over. Not
// thread-safe: one owner at a time. Durability: none by itself (close(2) does
// not flush; callers fsync before Close when they promise durability).
#pragma once

namespace holdfast::platform {

// Owns a file descriptor; closes it when destroyed. -1 means empty.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  // Closes now; returns close(2)'s result (it can report a failed write), 0 when empty.
  int Close();
  // Gives the descriptor up without closing it: the caller owns it now.
  int Release();

 private:
  int fd_ = -1;
};

}  // namespace holdfast::platform
