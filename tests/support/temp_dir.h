// Test support: a scratch folder removed when the test ends, and helpers to
// run a program as a user would and read what it printed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace holdfast::testing {

// A fresh folder under `under` if given, else $TMPDIR (or /tmp), deleted with
// everything in it by the destructor unless HOLDFAST_KEEP_TEMP is set (then
// its path is printed).
class TempDir {
 public:
  explicit TempDir(const std::string& under = "");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct ProcessResult {
  int exit_code = -1;  // the exit status, or 128 + signal number
  std::string out;     // everything written to stdout
  std::string err;     // everything written to stderr
};

// How long a test lets one command run before it counts as hung: 300 s, or
// $HOLDFAST_COMMAND_TIMEOUT_S.
int CommandTimeoutSeconds();

// Runs argv[0] with the given arguments (no shell), extra environment entries
// "NAME=value" added to this process's (replacing its entry of that name), and waits for it, at most timeout_s
// seconds (CommandTimeoutSeconds() when 0). A command still running then is
// killed with its process group, fails the current test with its name, and
// returns exit_code kTimedOutExitCode.
inline constexpr int kTimedOutExitCode = 124;
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::string>& extra_env = {}, int timeout_s = 0);

// "holdfast --vault v.db capture" (at most ~200 bytes), for messages.
std::string DescribeCommand(const std::vector<std::string>& argv);

// Path of the built `holdfast` binary (from $HOLDFAST_BIN, set by ctest).
std::string HoldfastBinary();

// Whole content of a file as bytes; empty when missing.
std::string ReadFileBytes(const std::filesystem::path& path);
void WriteFileBytes(const std::filesystem::path& path, const std::string& bytes);

}  // namespace holdfast::testing
