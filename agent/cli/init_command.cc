// `holdfast init`: create the vault.
#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {
namespace {

int RunInit(const GlobalOptions& options) {
  Result<std::filesystem::path> path = VaultPath(options);
  if (!path) return ReportError(path.error());
  std::error_code ec;
  // An interrupted init leaves an empty file, which Open completes; a real
  // vault is never initialised twice.
  if (std::filesystem::file_size(*path, ec) > 0 && !ec) {
    return ReportError(Status(ErrorCode::kAlreadyExists,
                              path->string() + ": a vault already exists here"));
  }
  Result<std::unique_ptr<storage::Vault>> vault =
      storage::Vault::Open(*path, storage::Vault::OpenMode::kCreate);
  if (!vault) return ReportError(vault.error());
  std::cout << "Created vault " << platform::TerminalSafe((*vault)->path().string()) << " for device "
            << (*vault)->device_id() << "\n";
  return agent::kExitOk;
}

}  // namespace

void RegisterInitCommand(CLI::App& app, Invocation& invocation) {
  SetRun(app.add_subcommand("init", "create the vault"), invocation, RunInit);
}

}  // namespace holdfast::cli
