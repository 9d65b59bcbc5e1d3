// Test support: a child process whose stdout is read as it runs, so a test
// can kill it at a chosen moment and still see what it reported before.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace holdfast::testing {

struct ChildOptions {
  // Starts the child as the leader of a new process group; the destructor,
  // KillAndWait and Terminate then signal the whole group, so a server's
  // worker processes go with it.
  bool own_process_group = false;
  // When not empty, the child's stdout and stderr are appended to this file
  // instead of the pipe (output() stays empty): a long-running server that
  // logs a lot never blocks on a pipe nobody reads.
  std::string output_file;
};

class ChildProcess {
 public:
  // Starts argv (no shell); stdout is piped to this process, stderr inherited
  // (or both to options.output_file).
  explicit ChildProcess(const std::vector<std::string>& argv, const ChildOptions& options = {});
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
  // Whether the child still runs. Reaps it when it has exited (its wait
  // status is then exit_status()); never blocks.
  bool Running();
  int exit_status() const { return exit_status_; }
  // Sends SIGTERM (to the group with own_process_group), waits up to
  // grace_ms for the child to exit, then sends SIGKILL (to the group too, so
  // nothing it started outlives it) and reaps. Returns the wait status; -1
  // when the child had been reaped already. Idempotent.
  int Terminate(int grace_ms);

 private:
  void SignalAll(int signal);
  void DrainAndReap(int* wstatus);
  std::string command_;  // for messages
  pid_t pid_ = -1;
  pid_t group_ = -1;  // the process group to signal, when the child leads one
  int out_fd_ = -1;
  int exit_status_ = -1;
  std::string output_;
};

}  // namespace holdfast::testing
