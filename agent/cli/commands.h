// The CLI's subcommands, one file each (agent/cli/<name>_command.cc). Each file
// registers its subcommand, that subcommand's flags and what it runs; main()
// only makes the app and its global options. What a subcommand runs returns the
// process exit status (agent/exit_codes.h); this folder is the only code that
// writes to the terminal.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "agent/config.h"
#include "agent/archive/snapshot.h"
#include "agent/sync/remote_backend.h"
#include "agent/sync/remote_client.h"
#include "platform/clock.h"
#include "platform/status.h"
#include "storage/vault.h"

namespace CLI {
class App;
}  // namespace CLI

namespace holdfast::cli {

struct GlobalOptions {
  std::string vault_path;   // --vault; empty means the default location
  std::string config_path;  // --config; empty means the default location
  const platform::Clock* clock = nullptr;  // chosen in main(): the system clock
};

// A subcommand's work: runs with the global options as parsed and returns the
// exit status.
using CommandRun = std::function<int(const GlobalOptions&)>;

// The command line: the global options, filled in while it is parsed, and the
// work of the subcommand it chose (empty until that subcommand's callback ran).
struct Invocation {
  GlobalOptions options;
  CommandRun run;
};

// Makes `run` the work of `command`: the command's callback hands it to
// `invocation` once the command line chose it and parsed without error.
// `run` may read the command's flags, which CLI11 has set by then.
void SetRun(CLI::App* command, Invocation& invocation, CommandRun run);

// Each adds its subcommand (or group of subcommands) to `app`, with its flags,
// its help text and its work. --help lists them in the order they are added.
void RegisterInitCommand(CLI::App& app, Invocation& invocation);
void RegisterStatusCommand(CLI::App& app, Invocation& invocation);
void RegisterVerifyCommand(CLI::App& app, Invocation& invocation);
void RegisterSourceCommand(CLI::App& app, Invocation& invocation);  // source add|list
void RegisterCaptureCommand(CLI::App& app, Invocation& invocation);
void RegisterExportCommand(CLI::App& app, Invocation& invocation);
void RegisterImportCommand(CLI::App& app, Invocation& invocation);
void RegisterRestoreCommand(CLI::App& app, Invocation& invocation);  // restore-device
void RegisterRemoteCommand(CLI::App& app, Invocation& invocation);   // remote add|list
void RegisterPushCommand(CLI::App& app, Invocation& invocation);
void RegisterRecoverCommands(CLI::App& app, Invocation& invocation);  // check, recover, reupload
void RegisterRunCommand(CLI::App& app, Invocation& invocation);       // run (the background agent)

// The config file to use: --config, else $XDG_CONFIG_HOME/holdfast/config.json.
Result<std::filesystem::path> ConfigPath(const GlobalOptions& options);

// The vault path to use: --vault, else $XDG_DATA_HOME/holdfast/vault.db.
Result<std::filesystem::path> VaultPath(const GlobalOptions& options);

// Opens the vault (never creating one). When the background agent (`holdfast
// run`) holds it, asks the agent to make way (platform/control_socket.h) and
// opens it then; the agent goes on when this process ends. Errors: those of
// VaultPath and storage::Vault::Open (kNotFound for a missing vault,
// kVaultLocked when another command holds it or the agent did not make way).
Result<std::unique_ptr<storage::Vault>> OpenVault(const GlobalOptions& options);
// The same for a vault path already chosen, in either open mode.
Result<std::unique_ptr<storage::Vault>> OpenVaultAt(const std::filesystem::path& path, storage::Vault::OpenMode mode);

// What a command that talks to a remote works with: the config, the vault,
// and one connection to the remote (by name; empty: the only one).
struct RemoteSession {
  agent::Config config;
  std::unique_ptr<storage::Vault> vault;
  std::unique_ptr<agent::RemoteBackend> backend;
};
// Loads the config, opens the vault, chooses the remote and connects to it
// (no request is sent yet). Errors: those of each step, in that order.
Result<RemoteSession> OpenRemoteSession(const GlobalOptions& options, const std::string& remote,
                                        const agent::RemoteOptions& remote_options);

// What a command works on, loaded the same way for every command: the config
// file and, once opened, the vault. Nothing is printed; errors are returned.
struct Loaded {
  std::filesystem::path config_path;      // where the config was read from, and is saved to
  agent::Config config;                   // empty when the file does not exist yet
  std::unique_ptr<storage::Vault> vault;  // null until OpenVault

  // Opens the vault (see OpenVault above) into `vault`.
  Status OpenVault(const GlobalOptions& options);
};

// Reads the config file (ConfigPath, agent::LoadConfig); the vault stays closed.
Result<Loaded> LoadConfigOnly(const GlobalOptions& options);

// Reads the config file, then opens the vault; the first error is returned.
Result<Loaded> LoadConfigAndVault(const GlobalOptions& options);

// Prints "holdfast: <what>: <message>" and a hint to stderr; returns the exit status.
int ReportError(const Status& status);

// Which part of the vault export and restore-device look at.
struct SnapshotArgs {
  std::string collection;  // --collection
  std::string kind;        // --kind
  std::string source;      // --source
  std::string as_of;       // --as-of
};

// --collection, --kind, --source and --as-of checked and parsed.
Result<agent::SnapshotFilter> ParseFilter(const SnapshotArgs& args);

}  // namespace holdfast::cli
