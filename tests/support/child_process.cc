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

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const ChildOptions& options)
    : command_(DescribeCommand(argv)) {
  int pipe_fds[2] = {-1, -1};
  if (options.output_file.empty()) {
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  } else {
    pipe_fds[1] = open(options.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (pipe_fds[1] < 0) throw std::runtime_error("open " + options.output_file + ": " + std::strerror(errno));
  }
  std::vector<std::string> args = argv;
  std::vector<char*> c_args;
  for (auto& a : args) c_args.push_back(a.data());
  c_args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  if (!options.output_file.empty()) posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (options.own_process_group) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  int rc = posix_spawn(&pid_, c_args[0], &actions, &attr, c_args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  out_fd_ = pipe_fds[0];
  if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
  if (options.own_process_group) group_ = pid_;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 || group_ > 0) SignalAll(SIGKILL);
  if (pid_ > 0) {
    int wstatus = 0;
    waitpid(pid_, &wstatus, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
}

void ChildProcess::SignalAll(int signal) {
  if (group_ > 0) {
    kill(-group_, signal);
  } else if (pid_ > 0) {
    kill(pid_, signal);
  }
}

bool ChildProcess::Running() {
  if (pid_ <= 0) return false;
  int wstatus = 0;
  pid_t done = waitpid(pid_, &wstatus, WNOHANG);
  if (done != pid_) return true;
  exit_status_ = wstatus;
  pid_ = -1;
  return false;
}

int ChildProcess::Terminate(int grace_ms) {
  if (Running()) {
    SignalAll(SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
    while (Running() && std::chrono::steady_clock::now() < deadline) usleep(10000);
  }
  int wstatus = exit_status_;
  if (pid_ > 0 || group_ > 0) {
    // Workers the leader left behind (or the leader itself) go now.
    SignalAll(SIGKILL);
    if (pid_ > 0) DrainAndReap(&wstatus);
  }
  group_ = -1;
  exit_status_ = wstatus;
  return wstatus;
}

void ChildProcess::ReadFor(int timeout_ms) {
  if (out_fd_ < 0) return;
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
  while (out_fd_ >= 0) {
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
  SignalAll(SIGKILL);
  int wstatus = 0;
  DrainAndReap(&wstatus);
  return wstatus;
}

int ChildProcess::Wait(int timeout_s) {
  if (pid_ <= 0) {
    // Reaped already (by Running()): waitpid(-1) would wait for any child.
    DrainAndReap(nullptr);
    return WIFEXITED(exit_status_) ? WEXITSTATUS(exit_status_) : 128 + WTERMSIG(exit_status_);
  }
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
