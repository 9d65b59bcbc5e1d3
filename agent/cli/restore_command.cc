// `holdfast restore-device [--source NAME] [--as-of TIME] [--dry-run] [--overwrite]`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "agent/device/restore.h"
#include "platform/clock.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {
namespace {

struct RestoreArgs {
  SnapshotArgs snapshot;
  bool dry_run = false;
  bool overwrite = false;
};

int RunRestoreDevice(const GlobalOptions& options, const RestoreArgs& args) {
  Result<agent::SnapshotFilter> filter = ParseFilter(args.snapshot);
  if (!filter) return ReportError(filter.error());
  Result<Loaded> loaded = LoadConfigOnly(options);
  if (!loaded) return ReportError(loaded.error());
  if (loaded->config.sources.empty()) {
    return ReportError(Status(ErrorCode::kNotFound, "no source is configured in " + loaded->config_path.string() +
                                                        " (add one with `holdfast source add`)"));
  }
  Status opened = loaded->OpenVault(options);
  if (!opened.ok()) return ReportError(opened);
  agent::RestoreOptions restore;
  restore.only_source = args.snapshot.source;
  restore.as_of_ms = filter->as_of_ms;
  restore.dry_run = args.dry_run;
  restore.overwrite = args.overwrite;
  Result<agent::RestoreReport> report = agent::RestoreDevice(*loaded->vault, loaded->config, restore);
  if (!report) return ReportError(report.error());
  const char* wrote = args.dry_run ? "would write" : "wrote";
  const char* replaced = args.dry_run ? "replace" : "replaced";
  for (const agent::SourceRestore& s : report->sources) {
    std::cout << platform::TerminalSafe(s.source) << ": ";
    if (!s.error.ok()) {
      std::cout << "NOT RESTORED: " << platform::TerminalSafe(s.error.ToString()) << "\n";
      continue;
    }
    const char* files = s.counts_items ? "items" : "files";
    std::cout << wrote << " " << s.files_written << " missing " << files << " and " << replaced << " " << s.files_replaced
              << " (" << s.items_written << " items, " << s.bytes_written << " bytes); " << s.files_present
              << " already there";
    if (s.files_differ > 0) {
      std::cout << "; " << s.files_differ << " differ from the vault and were kept (--overwrite replaces them)";
    }
    if (s.alerts_cleared > 0) std::cout << "; source loss alert cleared";
    std::cout << "\n";
  }
  if (args.dry_run) std::cout << "Dry run: nothing was written.\n";
  return report->ok() ? agent::kExitOk : agent::kExitIo;
}

}  // namespace

void RegisterRestoreCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* restore = app.add_subcommand("restore-device", "write the vault's items back into the device's sources");
  auto args = std::make_shared<RestoreArgs>();
  restore->add_option("--source", args->snapshot.source, "only this source");
  restore->add_option("--as-of", args->snapshot.as_of, "the items as they were then");
  restore->add_flag("--dry-run", args->dry_run, "say what would be written, write nothing");
  restore->add_flag("--overwrite", args->overwrite, "also replace device files whose content differs from the vault's");
  SetRun(restore, invocation, [args](const GlobalOptions& options) { return RunRestoreDevice(options, *args); });
}

}  // namespace holdfast::cli
