// `holdfast import ARCHIVE`: an export archive back into the vault (created if missing).
#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/archive/archive_import.h"
#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "platform/secret_stream.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {
namespace {

int RunImport(const GlobalOptions& options, const std::string& archive, const std::string& passphrase_file) {
  Result<std::filesystem::path> path = VaultPath(options);
  if (!path) return ReportError(path.error());
  std::string passphrase;
  if (!passphrase_file.empty()) {
    Result<std::string> read = platform::ReadPassphraseFile(passphrase_file);
    if (!read) return ReportError(read.error().WithContext("--passphrase-file"));
    passphrase = std::move(*read);
  }
  // A phone that lost its vault: import creates a new one, once the archive
  // has been checked.
  std::unique_ptr<storage::Vault> vault;
  Result<agent::ImportReport> report = agent::ImportArchive(archive, passphrase, [&]() -> Result<storage::Vault*> {
    Result<std::unique_ptr<storage::Vault>> opened = OpenVaultAt(*path, storage::Vault::OpenMode::kCreate);
    if (!opened) return opened.error();
    vault = std::move(*opened);
    return vault.get();
  });
  if (!report) return ReportError(report.error());
  std::cout << "Checked " << report->members_checked << " members of " << platform::TerminalSafe(archive) << " against its manifest: OK\n"
            << "Imported into " << vault->path().string() << ": " << report->items_new << " new, "
            << report->items_updated << " updated, " << report->items_unchanged << " already there, "
            << report->items_kept << " kept as the vault had them (newer there); " << report->bytes
            << " bytes\n";
  return agent::kExitOk;
}

}  // namespace

void RegisterImportCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* import_cmd = app.add_subcommand("import", "bring an export archive back into the vault");
  auto archive = std::make_shared<std::string>();
  auto passphrase_file = std::make_shared<std::string>();
  import_cmd->add_option("--passphrase-file", *passphrase_file, "file holding an encrypted archive's passphrase");
  import_cmd->add_option("ARCHIVE", *archive, "a file written by `holdfast export --format archive`")->required();
  SetRun(import_cmd, invocation, [archive, passphrase_file](const GlobalOptions& options) {
    return RunImport(options, *archive, *passphrase_file);
  });
}

}  // namespace holdfast::cli
