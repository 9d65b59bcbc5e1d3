// `holdfast restore-device [--source NAME] [--as-of TIME] [--dry-run] [--overwrite]`.
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "agent/device/restore.h"
#include "platform/clock.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {

int RunRestoreDevice(const GlobalOptions& options, const RestoreArgs& args) {
  Result<agent::SnapshotFilter> filter = ParseFilter(args.snapshot);
  if (!filter) return ReportError(filter.error());
  Result<std::filesystem::path> config_path = ConfigPath(options);
  if (!config_path) return ReportError(config_path.error());
  Result<agent::Config> config = agent::LoadConfig(*config_path);
  if (!config) return ReportError(config.error());
  if (config->sources.empty()) {
    return ReportError(Status(ErrorCode::kNotFound, "no source is configured in " + config_path->string() +
                                                        " (add one with `holdfast source add`)"));
  }
  Result<std::unique_ptr<storage::Vault>> vault = OpenVault(options);
  if (!vault) return ReportError(vault.error());
  agent::RestoreOptions restore;
  restore.only_source = args.snapshot.source;
  restore.as_of_ms = filter->as_of_ms;
  restore.dry_run = args.dry_run;
  restore.overwrite = args.overwrite;
  Result<agent::RestoreReport> report = agent::RestoreDevice(**vault, *config, restore);
  if (!report) return ReportError(report.error());
  const char* wrote = args.dry_run ? "would write" : "wrote";
  const char* replaced = args.dry_run ? "replace" : "replaced";
  for (const agent::SourceRestore& s : report->sources) {
    std::cout << platform::TerminalSafe(s.source) << ": ";
    if (!s.error.ok()) {
      std::cout << "NOT RESTORED: " << platform::TerminalSafe(s.error.ToString()) << "\n";
      continue;
    }
    std::cout << wrote << " " << s.files_written << " missing files and " << replaced << " " << s.files_replaced
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

}  // namespace holdfast::cli
