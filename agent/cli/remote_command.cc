// `holdfast remote add|list`: the servers the vault is pushed to, in the config file.
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {

int RunRemoteAdd(const GlobalOptions& options, const agent::RemoteConfig& remote) {
  Result<std::filesystem::path> config_path = ConfigPath(options);
  if (!config_path) return ReportError(config_path.error());
  Result<agent::Config> config = agent::LoadConfig(*config_path);
  if (!config) return ReportError(config.error());
  Status added = agent::AddRemote(&*config, remote);
  if (!added.ok()) return ReportError(added.WithContext(config_path->string()));
  // The token file is checked now, so that a file others can read is refused
  // before the first push.
  Result<std::string> token = agent::ReadToken(config->remotes.back());
  if (!token) return ReportError(token.error());
  Status saved = agent::SaveConfig(*config_path, *config);
  if (!saved.ok()) return ReportError(saved);
  const agent::RemoteConfig& stored = config->remotes.back();
  std::cout << "Added remote '" << platform::TerminalSafe(stored.name) << "' at " << platform::TerminalSafe(stored.url) << " (account " << platform::TerminalSafe(stored.account) << ")\n";
  if (stored.insecure_plain_http) {
    std::cerr << "warning: plain http: the token and your data travel unencrypted to " << stored.url << "\n";
  }
  return agent::kExitOk;
}

int RunRemoteList(const GlobalOptions& options) {
  Result<std::filesystem::path> config_path = ConfigPath(options);
  if (!config_path) return ReportError(config_path.error());
  Result<agent::Config> config = agent::LoadConfig(*config_path);
  if (!config) return ReportError(config.error());
  if (config->remotes.empty()) std::cout << "No remotes in " << platform::TerminalSafe(config_path->string()) << "\n";
  for (const agent::RemoteConfig& r : config->remotes) {
    std::cout << platform::TerminalSafe(r.name) << "\t" << platform::TerminalSafe(r.url) << "\taccount " << platform::TerminalSafe(r.account) << "\n";
  }
  return agent::kExitOk;
}

}  // namespace holdfast::cli
