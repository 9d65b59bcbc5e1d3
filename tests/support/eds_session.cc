#include "tests/support/eds_session.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

extern char** environ;

namespace holdfast::testing {
namespace {

using Clock = std::chrono::steady_clock;

const char* const kSessionVariables[] = {"DBUS_SESSION_BUS_ADDRESS", "XDG_DATA_HOME", "XDG_CONFIG_HOME",
                                         "XDG_CACHE_HOME", "XDG_RUNTIME_DIR", "HOLDFAST_EDS_SESSION"};

bool SetHere(const std::string& entry) {
  for (const char* name : kSessionVariables) {
    const size_t n = std::strlen(name);
    if (entry.compare(0, n, name) == 0 && entry.size() > n && entry[n] == '=') return true;
  }
  return false;
}

// The whole of /proc/PID/environ; empty when unreadable or a zombie.
std::string ProcessEnviron(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void SignalAll(const std::vector<pid_t>& pids, int signal) {
  for (pid_t pid : pids) kill(pid, signal);
}

}  // namespace

std::string EdsToolBinary() {
  const char* path = std::getenv("HOLDFAST_EDS_TOOL");
  REQUIRE_MESSAGE(path != nullptr, "HOLDFAST_EDS_TOOL is not set (ctest sets it)");
  return path;
}

std::string ProcessName(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

EdsSession::EdsSession(const std::filesystem::path& folder)
    : folder_(folder), marker_("HOLDFAST_EDS_SESSION=" + folder.string()) {
  for (const char* sub : {"data", "config", "cache", "runtime"}) {
    std::filesystem::create_directories(folder_ / sub);
    REQUIRE_MESSAGE(chmod((folder_ / sub).c_str(), 0700) == 0, "chmod " << (folder_ / sub));
  }
  Start();
}

EdsSession::~EdsSession() { Stop(); }

std::vector<std::string> EdsSession::env() const {
  return {"DBUS_SESSION_BUS_ADDRESS=" + bus_address_, "XDG_DATA_HOME=" + (folder_ / "data").string(),
          "XDG_CONFIG_HOME=" + (folder_ / "config").string(), "XDG_CACHE_HOME=" + (folder_ / "cache").string(),
          "XDG_RUNTIME_DIR=" + (folder_ / "runtime").string()};
}

std::filesystem::path EdsSession::data_dir() const { return folder_ / "data" / "evolution"; }

void EdsSession::Start() {
  if (bus_pid_ > 0) return;
  const std::filesystem::path socket = folder_ / "runtime" / "bus";
  std::filesystem::remove(socket);
  // The daemon's environment: this process's, minus any session of its own,
  // plus this session's variables and the marker its children inherit.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!SetHere(*e)) env_strings.emplace_back(*e);
  }
  for (const auto& entry : env()) {
    if (entry.rfind("DBUS_SESSION_BUS_ADDRESS=", 0) != 0) env_strings.push_back(entry);
  }
  env_strings.push_back(marker_);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int pipe_fds[2];
  REQUIRE(pipe2(pipe_fds, O_CLOEXEC) == 0);
  // The address goes to fd 3 of the daemon (the pipe), its log to bus.log.
  std::vector<std::string> args = {"dbus-daemon", "--session", "--nofork", "--address=unix:path=" + socket.string(),
                                   "--print-address=3"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 3);
  const std::string log = (folder_ / "bus.log").string();
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, "dbus-daemon", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) close(pipe_fds[0]);
  REQUIRE_MESSAGE(rc == 0, "cannot start dbus-daemon: " << std::strerror(rc));
  bus_pid_ = pid;

  // The daemon prints its address once it listens.
  std::string address;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (address.find('\n') == std::string::npos && Clock::now() < deadline) {
    pollfd fd = {pipe_fds[0], POLLIN, 0};
    if (poll(&fd, 1, 200) <= 0) continue;
    char buf[512];
    const ssize_t n = read(pipe_fds[0], buf, sizeof buf);
    if (n <= 0) break;
    address.append(buf, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  const size_t eol = address.find('\n');
  if (eol == std::string::npos) {
    Stop();
    FAIL("dbus-daemon printed no address within 20 s; its log: " << ReadFileBytes(log));
  }
  bus_address_ = address.substr(0, eol);
}

std::vector<pid_t> EdsSession::SessionProcesses() const {
  std::vector<pid_t> pids;
  const std::string needle = marker_ + '\0';
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(name));
    if (pid == bus_pid_ || pid == getpid()) continue;
    const std::string environ_text = ProcessEnviron(pid);
    // At the start, or after the NUL that ends another entry.
    if (environ_text.compare(0, needle.size(), needle) == 0 ||
        environ_text.find('\0' + needle) != std::string::npos) {
      pids.push_back(pid);
    }
  }
  return pids;
}

void EdsSession::Stop() {
  if (bus_pid_ > 0) {
    kill(bus_pid_, SIGTERM);
    int status = 0;
    waitpid(bus_pid_, &status, 0);
    bus_pid_ = -1;
  }
  // They leave by themselves when the bus goes; the signals are for those
  // that do not.
  const auto start = Clock::now();
  bool termed = false, killed = false;
  while (true) {
    const auto left = SessionProcesses();
    if (left.empty()) return;
    const auto waited = Clock::now() - start;
    if (!termed && waited > std::chrono::seconds(10)) {
      MESSAGE("EDS processes still running 10 s after their bus ended; SIGTERM");
      SignalAll(left, SIGTERM);
      termed = true;
    } else if (!killed && waited > std::chrono::seconds(15)) {
      SignalAll(left, SIGKILL);
      killed = true;
    } else if (waited > std::chrono::seconds(20)) {
      std::string names;
      for (pid_t pid : left) names += " " + std::to_string(pid) + " " + ProcessName(pid);
      FAIL_CHECK("EDS processes of " << folder_ << " survive SIGKILL:" << names);
      return;
    }
    // Exits of reparented processes cannot be waited for; /proc is polled.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void EdsSession::Restart() {
  Stop();
  Start();
}

ProcessResult EdsSession::Run(const std::vector<std::string>& argv, int timeout_s) const {
  // env(1) sets the variables over the inherited ones (RunProcess's extra
  // entries would come after them and lose).
  std::vector<std::string> full = {"/usr/bin/env"};
  for (const auto& entry : env()) full.push_back(entry);
  full.insert(full.end(), argv.begin(), argv.end());
  return RunProcess(full, {}, timeout_s);
}

ProcessResult EdsSession::RunTool(const std::vector<std::string>& args, int timeout_s) const {
  std::vector<std::string> argv = {EdsToolBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, timeout_s);
}

}  // namespace holdfast::testing
