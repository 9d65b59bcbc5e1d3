// `holdfast status [--json]`: what the vault holds.
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "agent/status_report.h"

namespace holdfast::cli {

int RunStatus(const GlobalOptions& options, bool json) {
  Result<std::unique_ptr<storage::Vault>> vault = OpenVault(options);
  if (!vault) return ReportError(vault.error());
  Result<agent::StatusReport> report = agent::BuildStatusReport(**vault);
  if (!report) return ReportError(report.error());
  std::cout << (json ? agent::StatusJson(*report) : agent::StatusText(*report));
  return agent::kExitOk;
}

}  // namespace holdfast::cli
