// What every subcommand shares: where the vault and the config are, loading
// them, reporting an error, and handing the subcommand's work to main().
#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "agent/sync/dav_backend.h"
#include "agent/sync/holdfast_backend.h"
#include "platform/clock.h"
#include "platform/paths.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {

void SetRun(CLI::App* command, Invocation& invocation, CommandRun run) {
  command->callback([&invocation, run = std::move(run)]() { invocation.run = run; });
}

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

Status Loaded::OpenVault(const GlobalOptions& options) {
  Result<std::unique_ptr<storage::Vault>> opened = cli::OpenVault(options);
  if (!opened) return opened.error();
  vault = std::move(*opened);
  return Status::Ok();
}

Result<Loaded> LoadConfigOnly(const GlobalOptions& options) {
  Result<std::filesystem::path> config_path = ConfigPath(options);
  if (!config_path) return config_path.error();
  Result<agent::Config> config = agent::LoadConfig(*config_path);
  if (!config) return config.error();
  return Loaded{std::move(*config_path), std::move(*config), nullptr};
}

Result<Loaded> LoadConfigAndVault(const GlobalOptions& options) {
  Result<Loaded> loaded = LoadConfigOnly(options);
  if (!loaded) return loaded;
  Status opened = loaded->OpenVault(options);
  if (!opened.ok()) return opened;
  return loaded;
}

Result<RemoteSession> OpenRemoteSession(const GlobalOptions& options, const std::string& remote,
                                        const agent::RemoteOptions& remote_options) {
  Result<Loaded> loaded = LoadConfigAndVault(options);
  if (!loaded) return loaded.error();
  Result<const agent::RemoteConfig*> chosen = agent::ChooseRemote(loaded->config, remote);
  if (!chosen) return chosen.error();
  // The one place that picks a backend for a remote, by its type.
  if ((*chosen)->type == agent::RemoteType::kDav) {
    Result<std::unique_ptr<agent::DavBackend>> dav = agent::DavBackend::Connect(**chosen, remote_options);
    if (!dav) return dav.error();
    return RemoteSession{std::move(loaded->config), std::move(loaded->vault), std::move(*dav)};
  }
  Result<std::unique_ptr<agent::HoldfastBackend>> backend = agent::HoldfastBackend::Connect(**chosen, remote_options);
  if (!backend) return backend.error();
  return RemoteSession{std::move(loaded->config), std::move(loaded->vault), std::move(*backend)};
}

int ReportError(const Status& status) {
  std::cerr << "holdfast: " << platform::TerminalSafe(status.ToString()) << "\n";
  const char* hint = agent::HintFor(status.code());
  if (hint[0] != '\0') std::cerr << "hint: " << hint << "\n";
  return agent::ExitCodeFor(status.code());
}

Result<agent::SnapshotFilter> ParseFilter(const SnapshotArgs& args) {
  agent::SnapshotFilter filter;
  if (!args.collection.empty()) filter.collection = args.collection;
  if (!args.source.empty()) filter.source = args.source;
  if (!args.kind.empty()) {
    filter.kind = agent::ParseKindWord(args.kind);
    if (!filter.kind) {
      return Status(ErrorCode::kInvalidArgument, "--kind " + args.kind + ": use contact, event, task, note or photo");
    }
  }
  if (!args.as_of.empty()) {
    Result<int64_t> time = platform::ParseTime(args.as_of);
    if (!time) return time.error().WithContext("--as-of");
    filter.as_of_ms = *time;
  }
  return filter;
}

}  // namespace holdfast::cli
