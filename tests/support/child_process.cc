#include "tests/support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include <doctest/doctest.h>

#include "tests/support/temp_dir.h"

extern char** environ;

namespace holdfast::testing {

ChildProcess::ChildProcess(const std::vector<std::string>& argv) : command_(DescribeCommand(argv)) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> args = argv;
  std::vector<char*> c_args;
  for (auto& a : args) c_args.push_back(a.data());
  c_args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  int rc = posix_spawn(&pid_, c_args[0], &actions, nullptr, c_args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  out_fd_ = pipe_fds[0];
  if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int wstatus = 0;
    waitpid(pid_, &wstatus, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
}

void ChildProcess::ReadFor(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[65536];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd pfd{out_fd_, POLLIN, 0};
    int ready = poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;
    ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n <= 0) return;  // the child closed stdout
    output_.append(buf, static_cast<size_t>(n));
  }
}

void ChildProcess::DrainAndReap(int* wstatus) {
  char buf[65536];
  while (true) {
    ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output_.append(buf, static_cast<size_t>(n));
  }
  if (pid_ > 0) {
    while (waitpid(pid_, wstatus, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
}

int ChildProcess::KillAndWait() {
  kill(pid_, SIGKILL);
  int wstatus = 0;
  DrainAndReap(&wstatus);
  return wstatus;
}

int ChildProcess::Wait(int timeout_s) {
  if (timeout_s <= 0) timeout_s = CommandTimeoutSeconds();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (true) {
    int wstatus = 0;
    pid_t done = waitpid(pid_, &wstatus, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      DrainAndReap(nullptr);
      return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    }
    if (done < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      KillAndWait();
      FAIL_CHECK("command timed out after " << timeout_s << " s and was killed: " << command_);
      return kTimedOutExitCode;
    }
    // Keeps the pipe drained so the child never blocks on a full one.
    const size_t before = output_.size();
    ReadFor(20);
    if (output_.size() == before) usleep(5000);  // stdout may be closed: poll returns at once
  }
  int wstatus = 0;
  DrainAndReap(&wstatus);
  return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

}  // namespace holdfast::testing
