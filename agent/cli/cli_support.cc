// What every subcommand shares: where the vault and the config are, loading
// them, reporting an error, and handing the subcommand's work to main().
#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "agent/sync/connect_remote.h"
#include "platform/clock.h"
#include "platform/control_socket.h"
#include "platform/paths.h"
#include "platform/stop_request.h"
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

namespace {

// How long a command waits for the agent to make way (it stops its work at
// the next safe point: a few seconds), then for the vault to be free.
constexpr int64_t kAgentAnswerMs = 30000;
constexpr int64_t kVaultFreeMs = 5000;

// The connections to agents that made way for this process: open until it
// ends, which is how the agent knows it may go on.
std::vector<platform::UniqueFd>& AgentsMakingWay() {
  static std::vector<platform::UniqueFd> connections;
  return connections;
}

}  // namespace

Result<std::unique_ptr<storage::Vault>> OpenVault(const GlobalOptions& options) {
  Result<std::filesystem::path> path = VaultPath(options);
  if (!path) return path.error();
  return OpenVaultAt(*path, storage::Vault::OpenMode::kExisting);
}

Result<std::unique_ptr<storage::Vault>> OpenVaultAt(const std::filesystem::path& vault_path,
                                                    storage::Vault::OpenMode mode) {
  const std::filesystem::path* path = &vault_path;
  Result<std::unique_ptr<storage::Vault>> vault = storage::Vault::Open(*path, mode);
  if (vault || vault.error().code() != ErrorCode::kVaultLocked) return vault;
  Result<platform::UniqueFd> agent = platform::ConnectControl(platform::ControlSocketName(*path));
  if (!agent) return vault;  // no agent: another command holds the vault
  Status asked = platform::AskToYield(agent->get(), kAgentAnswerMs);
  if (!asked.ok()) return asked.WithContext(path->string());
  AgentsMakingWay().push_back(std::move(*agent));
  const int64_t end = platform::SteadyMs() + kVaultFreeMs;
  for (;;) {
    vault = storage::Vault::Open(*path, mode);
    if (vault || vault.error().code() != ErrorCode::kVaultLocked || platform::SteadyMs() >= end) return vault;
    platform::SleepUnlessStopped(50);
  }
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
  Result<std::unique_ptr<agent::RemoteBackend>> backend = agent::ConnectRemote(**chosen, remote_options);
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
