// `holdfast run`: the background agent (agent/daemon/agent_loop.h), in the
// foreground of this process; systemd's user unit runs it as a service.
#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/daemon/agent_loop.h"
#include "agent/exit_codes.h"
#include "platform/clock.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {
namespace {

int RunAgentCommand(const GlobalOptions& options) {
  Result<std::filesystem::path> vault = VaultPath(options);
  if (!vault) return ReportError(vault.error());
  Result<std::filesystem::path> config = ConfigPath(options);
  if (!config) return ReportError(config.error());
  agent::AgentRunOptions run;
  run.vault_path = *vault;
  run.config_path = *config;
  run.clock = options.clock;
  // One line per event on stderr: the journal under systemd, which adds the time.
  run.log = [](const std::string& line) { std::cerr << "holdfast run: " << platform::TerminalSafe(line) << std::endl; };
  Status status = agent::RunAgent(run);
  if (!status.ok()) return ReportError(status);
  return agent::kExitOk;
}

}  // namespace

void RegisterRunCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* run = app.add_subcommand(
      "run",
      "run the agent in the background of the device: capture each change soon after it happens, push it to "
      "every remote, check the remotes and recover them by itself (stop with SIGTERM, reload the config with "
      "SIGHUP; the systemd user unit holdfast.service runs it)");
  SetRun(run, invocation, [](const GlobalOptions& options) { return RunAgentCommand(options); });
}

}  // namespace holdfast::cli
