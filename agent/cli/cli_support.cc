#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "agent/sync/holdfast_backend.h"
#include "platform/paths.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {

Result<std::filesystem::path> VaultPath(const GlobalOptions& options) {
  if (!options.vault_path.empty()) return std::filesystem::path(options.vault_path);
  Result<std::filesystem::path> dir = platform::DefaultDataDir();
  if (!dir) return dir.error();
  return *dir / "vault.db";
}

Result<std::filesystem::path> ConfigPath(const GlobalOptions& options) {
  if (!options.config_path.empty()) return std::filesystem::path(options.config_path);
  return agent::DefaultConfigPath();
}

Result<std::unique_ptr<storage::Vault>> OpenVault(const GlobalOptions& options) {
  Result<std::filesystem::path> path = VaultPath(options);
  if (!path) return path.error();
  return storage::Vault::Open(*path, storage::Vault::OpenMode::kExisting);
}

Result<RemoteSession> OpenRemoteSession(const GlobalOptions& options, const std::string& remote,
                                        const agent::RemoteOptions& remote_options) {
  Result<std::filesystem::path> config_path = ConfigPath(options);
  if (!config_path) return config_path.error();
  Result<agent::Config> config = agent::LoadConfig(*config_path);
  if (!config) return config.error();
  Result<std::unique_ptr<storage::Vault>> vault = OpenVault(options);
  if (!vault) return vault.error();
  Result<const agent::RemoteConfig*> chosen = agent::ChooseRemote(*config, remote);
  if (!chosen) return chosen.error();
  // The one place that picks a backend for a remote: today every remote
  // speaks the Holdfast protocol.
  Result<std::unique_ptr<agent::HoldfastBackend>> backend = agent::HoldfastBackend::Connect(**chosen, remote_options);
  if (!backend) return backend.error();
  return RemoteSession{std::move(*config), std::move(*vault), std::move(*backend)};
}

int ReportError(const Status& status) {
  std::cerr << "holdfast: " << platform::TerminalSafe(status.ToString()) << "\n";
  const char* hint = agent::HintFor(status.code());
  if (hint[0] != '\0') std::cerr << "hint: " << hint << "\n";
  return agent::ExitCodeFor(status.code());
}

}  // namespace holdfast::cli
