// Test support for the agent's fault tests (agent_kill_test, agent_fault_test):
// a generated handset whose vault is kept by a real `holdfast run` process,
// its log read from a file as it grows, and the checks that compare the
// vault with the device. The agent is a real process, killed or stopped
// with real signals; nothing of it is replaced.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/durability_checks.h"
#include "tests/support/handset.h"

namespace holdfast::testing {

// Sets "agent" settings in a config file (the other keys are kept).
void SetAgentSettings(const std::string& config_path, const nlohmann::json& settings);

// Settings that make the agent quick enough for a test: short debounce,
// short retries, no desktop notifications, alerts appended to `alerts_file`
// (one summary per line) by the alert command.
nlohmann::json QuickAgentSettings(const std::filesystem::path& alerts_file);

// A running `holdfast run` with --vault and --config, its stdout and stderr
// appended to `log_file`. `prefix` goes before the binary (e.g. env with
// LD_PRELOAD for libfaketime). The destructor kills it if still running.
class AgentProcess {
 public:
  AgentProcess(const std::string& vault, const std::string& config, const std::filesystem::path& log_file,
               const std::vector<std::string>& prefix = {});
  pid_t pid() const { return child_->pid(); }
  bool Running() { return child_->Running(); }
  // SIGKILL; true when it was still running (killed mid-work).
  bool Kill();
  // SIGTERM, waits up to 20 s; the wait status.
  int Stop();
  // The log written since the start of this process.
  std::string Log() const;
  // Waits up to timeout_s for a log line containing `text`, counting only
  // the log after byte offset `from` (of this process's log); true when
  // seen. Fails fast (false) when the agent exits.
  bool WaitForLog(const std::string& text, int timeout_s, size_t from = 0);
  // How many log lines (after `from`) contain `text`.
  int CountLog(const std::string& text, size_t from = 0) const;

 private:
  std::filesystem::path log_file_;
  size_t start_offset_ = 0;
  std::unique_ptr<ChildProcess> child_;
};

// What a completed capture promises: the vault's live items are the
// handset's files, each once, with the file's content. Opens the vault (the
// agent must not run).
Problems HandsetInVault(const Handset& h);

// The vault's live items per source (the agent must not run).
std::map<std::string, int64_t> LiveItemsPerSource(const std::string& vault);

// Sums "N new" per source over every "captured SRC: N new, ..." line in `log`.
std::map<std::string, int64_t> ReportedNewPerSource(const std::string& log);

// Each source's live items are at least what the agent reported as new
// (nothing is ever deleted on the device in these tests).
Problems ReportedNotInVault(const std::map<std::string, int64_t>& reported,
                            const std::map<std::string, int64_t>& live);

// The phone in use: cards edited, a photo changed, a new photo and a new
// card. Nothing deleted. `round` makes the content new.
void UseThePhone(const Handset& h, std::mt19937_64& rng, int round);

}  // namespace holdfast::testing
