// Test support: a child process whose stdout is read as it runs, so a test
// can kill it at a chosen moment and still see what it reported before.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace holdfast::testing {

class ChildProcess {
 public:
  // Starts argv (no shell); stdout is piped to this process, stderr inherited.
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Reads the child's stdout into output() for timeout_ms (less if it closes stdout).
  void ReadFor(int timeout_ms);
  // Sends SIGKILL, then reads the rest of stdout and reaps the child.
  // Returns the wait status.
  int KillAndWait();
  // Waits for the child to exit, reading stdout to the end, at most timeout_s
  // seconds (CommandTimeoutSeconds() when 0); returns the exit code. A child
  // still running then is killed, fails the current test with its command
  // line, and gives kTimedOutExitCode.
  int Wait(int timeout_s = 0);
  const std::string& output() const { return output_; }

 private:
  void DrainAndReap(int* wstatus);
  std::string command_;  // for messages
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string output_;
};

}  // namespace holdfast::testing
