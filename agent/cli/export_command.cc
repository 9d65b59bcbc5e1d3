// `holdfast export --format F --to PATH [--collection C] [--kind K] [--as-of T] [--force] [--zstd]`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "agent/archive/export.h"
#include "platform/clock.h"
#include "platform/secret_stream.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {
namespace {

struct ExportArgs {
  std::string format;
  std::string to;
  SnapshotArgs snapshot;
  bool force = false;
  bool zstd = false;
  bool encrypt = false;         // --encrypt (archive only)
  std::string passphrase_file;  // --passphrase-file
};

int RunExport(const GlobalOptions& options, const ExportArgs& args) {
  std::optional<agent::ExportFormat> format = agent::ParseExportFormat(args.format);
  if (!format) {
    return ReportError(Status(ErrorCode::kInvalidArgument,
                              "--format " + args.format + ": use vdir, vcf, ics, json or archive"));
  }
  Result<agent::SnapshotFilter> filter = ParseFilter(args.snapshot);
  if (!filter) return ReportError(filter.error());
  Result<std::unique_ptr<storage::Vault>> vault = OpenVault(options);
  if (!vault) return ReportError(vault.error());
  agent::ExportOptions export_options;
  export_options.format = *format;
  export_options.to = args.to;
  export_options.filter = *filter;
  export_options.force = args.force;
  export_options.zstd = args.zstd;
  if (args.encrypt) {
    if (args.passphrase_file.empty()) {
      return ReportError(Status(ErrorCode::kInvalidArgument, "--encrypt needs --passphrase-file FILE"));
    }
    Result<std::string> passphrase = platform::ReadPassphraseFile(args.passphrase_file);
    if (!passphrase) return ReportError(passphrase.error().WithContext("--passphrase-file"));
    export_options.passphrase = std::move(*passphrase);
  } else if (!args.passphrase_file.empty()) {
    return ReportError(Status(ErrorCode::kInvalidArgument, "--passphrase-file goes with --encrypt"));
  }
  export_options.now_ms = options.clock->NowMs();
  Result<agent::ExportReport> report = agent::Export(**vault, export_options);
  if (!report) return ReportError(report.error());
  std::cout << "Exported " << report->items << " items of " << report->collections << " collections ("
            << report->content_bytes << " bytes) as " << args.format << " to " << args.to;
  if (filter->as_of_ms) std::cout << ", as of " << platform::FormatUtc(*filter->as_of_ms);
  if (args.encrypt) std::cout << ", encrypted";
  std::cout << "\n";
  return agent::kExitOk;
}

}  // namespace

void RegisterExportCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* export_cmd = app.add_subcommand("export", "write the vault's data out in an open format");
  auto args = std::make_shared<ExportArgs>();
  export_cmd->add_option("--format", args->format, "vdir, vcf, ics, json or archive")->required();
  export_cmd->add_option("--to", args->to, "folder (vdir, vcf, ics) or file (json, archive)")->required();
  export_cmd->add_option("--collection", args->snapshot.collection, "only this collection");
  export_cmd->add_option("--kind", args->snapshot.kind, "only contact, event, task, note or photo");
  export_cmd->add_option("--as-of", args->snapshot.as_of,
                         "the vault as it was then: 2026-11-25, 2026-11-25T09:56Z, @UNIX_SECONDS");
  export_cmd->add_flag("--force", args->force, "replace an existing target");
  export_cmd->add_flag("--zstd", args->zstd, "compress the archive with zstd");
  export_cmd->add_flag("--encrypt", args->encrypt, "encrypt the archive with a passphrase (docs/formats.md)");
  export_cmd->add_option("--passphrase-file", args->passphrase_file, "file holding the passphrase for --encrypt");
  SetRun(export_cmd, invocation, [args](const GlobalOptions& options) { return RunExport(options, *args); });
}

}  // namespace holdfast::cli
