// Test support: a private Evolution Data Server session. Scratch
// XDG_DATA_HOME, XDG_CONFIG_HOME, XDG_CACHE_HOME and XDG_RUNTIME_DIR (0700)
// under a given folder, and a private D-Bus session daemon whose environment
// holds them: EDS is started by D-Bus activation and inherits the daemon's
// environment, not the test's. A child process joins the session with env().
//
// EDS's processes (evolution-source-registry, evolution-addressbook-factory,
// evolution-calendar-factory, their -subprocess children, dconf-service) are
// reparented to init. They are found by a marker variable,
// HOLDFAST_EDS_SESSION=<folder>, that only the daemon's environment holds
// (env() leaves it out), so it names this session's activated processes
// and nothing else.
//
// Not thread-safe. Failures to start fail the current test (REQUIRE).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace holdfast::testing {

class EdsSession {
 public:
  // Creates the XDG folders under `folder` (which must exist) and starts the
  // bus; EDS itself starts on the first request.
  explicit EdsSession(const std::filesystem::path& folder);
  // Stop().
  ~EdsSession();
  EdsSession(const EdsSession&) = delete;
  EdsSession& operator=(const EdsSession&) = delete;

  // "DBUS_SESSION_BUS_ADDRESS=...", "XDG_DATA_HOME=..." and the other three.
  std::vector<std::string> env() const;
  const std::string& bus_address() const { return bus_address_; }
  // XDG_DATA_HOME/evolution: EDS's data (contacts.db, photos/, *.ics).
  std::filesystem::path data_dir() const;

  // Ends the bus, then waits until every process of this session is gone:
  // they exit when their bus goes away; those left after 10 s get SIGTERM,
  // after 5 s more SIGKILL. Fails the current test (CHECK) when one
  // survives that. Idempotent. The folders stay.
  void Stop();
  // Stop, then a new bus on the same folders (delete data_dir() in between
  // for a device reset).
  void Restart();
  bool running() const { return bus_pid_ > 0; }

  // The live (not zombie) processes started by this session's bus.
  std::vector<pid_t> SessionProcesses() const;

  // Runs `holdfast-eds-tool ARGS` ($HOLDFAST_EDS_TOOL) in this session.
  ProcessResult RunTool(const std::vector<std::string>& args, int timeout_s = 0) const;
  // Runs argv (no shell) with env() set over this process's environment.
  ProcessResult Run(const std::vector<std::string>& argv, int timeout_s = 0) const;

 private:
  void Start();
  std::filesystem::path folder_;
  std::string marker_;  // "HOLDFAST_EDS_SESSION=<folder>"
  pid_t bus_pid_ = -1;
  std::string bus_address_;
};

// Path of holdfast-eds-tool (from $HOLDFAST_EDS_TOOL, set by ctest).
std::string EdsToolBinary();

// The command name (/proc/PID/comm) of a process; empty when it is gone.
std::string ProcessName(pid_t pid);

}  // namespace holdfast::testing
