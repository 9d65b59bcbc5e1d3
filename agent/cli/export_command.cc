// `holdfast export --format F --to PATH [--collection C] [--kind K] [--as-of T] [--force] [--zstd]`.
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "agent/archive/export.h"
#include "platform/clock.h"
#include "platform/secret_stream.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {

Result<agent::SnapshotFilter> ParseFilter(const SnapshotArgs& args) {
  agent::SnapshotFilter filter;
  if (!args.collection.empty()) filter.collection = args.collection;
  if (!args.source.empty()) filter.source = args.source;
  if (!args.kind.empty()) {
    filter.kind = agent::ParseKindWord(args.kind);
    if (!filter.kind) {
      return Status(ErrorCode::kInvalidArgument,
                    "--kind " + args.kind + ": use contact, event, task, note or photo");
    }
  }
  if (!args.as_of.empty()) {
    Result<int64_t> time = platform::ParseTime(args.as_of);
    if (!time) return time.error().WithContext("--as-of");
    filter.as_of_ms = *time;
  }
  return filter;
}

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
  export_options.now_ms = platform::NowMs();
  Result<agent::ExportReport> report = agent::Export(**vault, export_options);
  if (!report) return ReportError(report.error());
  std::cout << "Exported " << report->items << " items of " << report->collections << " collections ("
            << report->content_bytes << " bytes) as " << args.format << " to " << args.to;
  if (filter->as_of_ms) std::cout << ", as of " << platform::FormatUtc(*filter->as_of_ms);
  if (args.encrypt) std::cout << ", encrypted";
  std::cout << "\n";
  return agent::kExitOk;
}

}  // namespace holdfast::cli
