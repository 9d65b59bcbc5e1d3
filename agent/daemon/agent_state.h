// What the background agent is doing, kept beside the vault in
// "<vault>.agent.json" for `holdfast status` (which reads it without
// disturbing the agent) and for the next start of the agent (which alerts
// were shown already).
//
// Written atomically (temp file, rename) by the agent after each piece of
// work; never part of the vault's durability promise: losing it loses no
// data, only the agent's history. Values; not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "platform/status.h"

namespace holdfast::agent {

struct RemoteActivity {
  std::string name;
  int64_t last_sync_ms = 0;     // the last push or check ended (wall clock)
  std::string last_result;      // what it did or why it failed
  bool last_ok = false;
  int64_t last_reached_ms = 0;  // the last time the server answered as it should
  int failures = 0;             // in a row
  int64_t next_sync_ms = 0;     // the next push or check (wall clock, approximate)
};

struct AgentAlert {
  std::string id;       // stable per condition ("loss:SOURCE:COLLECTION", "remote:NAME:auth", ...)
  int64_t raised_ms = 0;
  std::string summary;  // one line
  std::string body;     // what happened and what to do
  std::string shown_by; // "desktop", "command", "log"
};

struct AgentState {
  int pid = 0;
  bool running = false;          // false once the agent stopped cleanly
  int64_t started_ms = 0;
  int64_t updated_ms = 0;
  std::string activity;          // "idle", "capturing", "pushing to NAME", "making way for a command", ...
  int64_t last_capture_ms = 0;
  std::string last_capture;      // a one-line summary
  int64_t next_rescan_ms = 0;
  size_t folders_watched = 0;
  std::vector<std::string> watch_problems;
  std::string config_problem;    // the last reload's error, while the old config is kept
  std::vector<RemoteActivity> remotes;
  std::vector<AgentAlert> alerts;  // open alerts

  std::string ToJson() const;
};

// "<vault>.agent.json".
std::filesystem::path AgentStatePath(const std::filesystem::path& vault);

// Writes `state` atomically (mode 0600). Errors: those of writing the file.
Status SaveAgentState(const std::filesystem::path& vault, const AgentState& state);

// The state the agent last wrote, or nullopt when there is none. A file that
// cannot be read or parsed is kMalformedInput naming it.
Result<std::optional<AgentState>> LoadAgentState(const std::filesystem::path& vault);

// Whether process `pid` is alive (kill(pid, 0)).
bool ProcessAlive(int pid);

}  // namespace holdfast::agent
