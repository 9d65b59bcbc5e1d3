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
  // Waits for a normal exit, reading stdout to the end. Returns the exit code.
  int Wait();
  const std::string& output() const { return output_; }

 private:
  void DrainAndReap(int* wstatus);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string output_;
};

}  // namespace holdfast::testing
