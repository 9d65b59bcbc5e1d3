// `holdfast status [--json]`: what the vault holds.
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "agent/status_report.h"

namespace holdfast::cli {

int RunStatus(const GlobalOptions& options, bool json) {
  Result<std::unique_ptr<storage::Vault>> vault = OpenVault(options);
  if (!vault) return ReportError(vault.error());
  // Remotes come from the config; a config that cannot be read leaves them out.
  std::vector<std::pair<std::string, std::string>> remotes;
  Result<std::filesystem::path> config_path = ConfigPath(options);
  if (config_path) {
    Result<agent::Config> config = agent::LoadConfig(*config_path);
    if (config) {
      for (const agent::RemoteConfig& r : config->remotes) remotes.emplace_back(r.name, r.url);
    }
  }
  Result<agent::StatusReport> report = agent::BuildStatusReport(**vault, remotes);
  if (!report) return ReportError(report.error());
  std::cout << (json ? agent::StatusJson(*report) : agent::StatusText(*report));
  return agent::kExitOk;
}

}  // namespace holdfast::cli
