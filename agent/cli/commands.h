// The CLI's subcommands, one file each. Each returns the process exit status
// (agent/exit_codes.h) and is the only place that writes to the terminal.
#pragma once

#include <filesystem>
#include <string>

#include "agent/config.h"
#include "agent/archive/snapshot.h"
#include "agent/sync/remote_backend.h"
#include "agent/sync/remote_client.h"
#include "platform/clock.h"
#include "platform/status.h"
#include "storage/vault.h"

namespace holdfast::cli {

struct GlobalOptions {
  std::string vault_path;   // --vault; empty means the default location
  std::string config_path;  // --config; empty means the default location
  const platform::Clock* clock = nullptr;  // chosen in main(): the system clock
};

// The config file to use: --config, else $XDG_CONFIG_HOME/holdfast/config.json.
Result<std::filesystem::path> ConfigPath(const GlobalOptions& options);

// The vault path to use: --vault, else $XDG_DATA_HOME/holdfast/vault.db.
Result<std::filesystem::path> VaultPath(const GlobalOptions& options);

// Opens the vault (never creating one) or prints why not.
Result<std::unique_ptr<storage::Vault>> OpenVault(const GlobalOptions& options);

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

struct ExportArgs {
  std::string format;
  std::string to;
  SnapshotArgs snapshot;
  bool force = false;
  bool zstd = false;
  bool encrypt = false;         // --encrypt (archive only)
  std::string passphrase_file;  // --passphrase-file
};

struct RestoreArgs {
  SnapshotArgs snapshot;
  bool dry_run = false;
  bool overwrite = false;
};

int RunInit(const GlobalOptions& options);
int RunStatus(const GlobalOptions& options, bool json);
int RunVerify(const GlobalOptions& options, bool json);
int RunSourceAdd(const GlobalOptions& options, const std::string& kind, const std::string& path,
                 std::string name);
int RunSourceList(const GlobalOptions& options);
int RunCapture(const GlobalOptions& options, const std::string& source, bool accept_deletions);
int RunExport(const GlobalOptions& options, const ExportArgs& args);
int RunImport(const GlobalOptions& options, const std::string& archive, const std::string& passphrase_file);
int RunRestoreDevice(const GlobalOptions& options, const RestoreArgs& args);
int RunRemoteAdd(const GlobalOptions& options, const agent::RemoteConfig& remote);
int RunRemoteList(const GlobalOptions& options);
int RunPush(const GlobalOptions& options, const std::string& remote, const std::string& max_rate);
int RunCheck(const GlobalOptions& options, const std::string& remote);
int RunRecover(const GlobalOptions& options, const std::string& remote, bool wait);
int RunReupload(const GlobalOptions& options, const std::string& remote, const std::string& collection);

}  // namespace holdfast::cli
