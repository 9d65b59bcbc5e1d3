// `holdfast status [--json]`: what the vault holds.
#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "agent/daemon/agent_state.h"
#include "agent/status_report.h"
#include "platform/control_socket.h"

namespace holdfast::cli {
namespace {

int RunStatus(const GlobalOptions& options, bool json) {
  // The agent's own record, read before the vault is opened: opening it asks
  // a running agent to make way, which the record would show instead.
  Result<std::filesystem::path> path = VaultPath(options);
  if (!path) return ReportError(path.error());
  Result<std::optional<agent::AgentState>> agent_state = agent::LoadAgentState(*path);
  Result<std::unique_ptr<storage::Vault>> vault = OpenVault(options);
  if (!vault) return ReportError(vault.error());
  // Remotes come from the config; a config that cannot be read leaves them out.
  std::vector<std::pair<std::string, std::string>> remotes;
  Result<Loaded> loaded = LoadConfigOnly(options);
  if (loaded) {
    for (const agent::RemoteConfig& r : loaded->config.remotes) remotes.emplace_back(r.name, r.url);
  }
  Result<agent::StatusReport> report = agent::BuildStatusReport(**vault, remotes);
  if (!report) return ReportError(report.error());
  if (agent_state && *agent_state) {
    report->agent = **agent_state;
    // Running: its process is alive and it still holds the vault's control
    // socket (a reused pid is not the agent).
    report->agent_running = (*agent_state)->running && agent::ProcessAlive((*agent_state)->pid) &&
                            platform::ConnectControl(platform::ControlSocketName(*path)).has_value();
  } else if (!agent_state) {
    std::cerr << "holdfast: " << agent_state.error().ToString() << " (the agent's state is left out)\n";
  }
  std::cout << (json ? agent::StatusJson(*report) : agent::StatusText(*report));
  return agent::kExitOk;
}

}  // namespace

void RegisterStatusCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* status = app.add_subcommand("status", "show what the vault holds");
  auto json = std::make_shared<bool>(false);
  status->add_flag("--json", *json, "machine-readable output");
  SetRun(status, invocation, [json](const GlobalOptions& options) { return RunStatus(options, *json); });
}

}  // namespace holdfast::cli
