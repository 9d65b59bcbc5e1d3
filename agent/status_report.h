// `holdfast status`: what the vault holds, for people and for scripts.
//
// Builds a snapshot from an open vault (read-only) and renders it as text or
// JSON. The JSON field names are a stable interface: scripts read them
// (tools/demo.sh, tools/bench/), and docs/recovery.md names the recovery fields.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/daemon/agent_state.h"
#include "platform/status.h"
#include "storage/capture_state.h"
#include "storage/ledger.h"
#include "storage/vault.h"

namespace holdfast::agent {

// What one remote holds, by the vault's ledger.
struct RemoteStatus {
  std::string name;
  std::string url;
  std::string epoch;  // empty before the first push
  storage::LedgerCounts ledger;
  std::string recovery_in_progress;  // its reason; empty when none
  std::string recovery_progress;     // JSON text: items and bytes done and to do; may be empty
  std::optional<storage::RecoveryRecord> last_recovery;
  // Items whose content the server refused (its word), kept in the vault;
  // cleared once the server acknowledges the item.
  std::vector<storage::Refusal> refusals;
};

struct StatusReport {
  std::string vault_path;
  std::string device_id;
  int schema_version = 0;
  int64_t created_at_ms = 0;
  storage::VaultStats stats;
  std::vector<storage::CollectionInfo> collections;
  std::vector<storage::LossAlert> loss_alerts;          // "source loss suspected"
  std::vector<storage::CaptureProblem> capture_problems;  // files the last capture skipped
  std::vector<RemoteStatus> remotes;
  // What the background agent (`holdfast run`) last wrote of itself; none
  // when it never ran for this vault. agent_running: its process is alive.
  std::optional<AgentState> agent;
  bool agent_running = false;
};

// `remotes`: the configured remotes (name, url) to report on.
Result<StatusReport> BuildStatusReport(storage::Vault& vault,
                                       const std::vector<std::pair<std::string, std::string>>& remotes = {});
std::string StatusText(const StatusReport& report);
std::string StatusJson(const StatusReport& report);

}  // namespace holdfast::agent
