// `holdfast capture [--source NAME] [--accept-deletions]`.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "agent/device/capture.h"
#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "platform/clock.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {
namespace {

void PrintProgress(const agent::CaptureProgress& p) {
  std::fprintf(stderr, "\r%s: %lld/%lld files, %.1f MiB   ", platform::TerminalSafe(p.source).c_str(),
               static_cast<long long>(p.files_done), static_cast<long long>(p.files_total),
               static_cast<double>(p.bytes_done) / (1 << 20));
  if (p.files_done == p.files_total) std::fputc('\n', stderr);
}

void PrintSummary(const agent::SourceCapture& s) {
  std::cout << platform::TerminalSafe(s.source) << ": ";
  if (!s.error.ok()) {
    std::cout << "NOT CAPTURED: " << platform::TerminalSafe(s.error.message()) << "\n";
    return;
  }
  std::cout << s.files_seen << " files (" << s.files_read << " read, " << s.files_unchanged
            << " unchanged); items: " << s.items_new << " new, " << s.items_changed << " changed, "
            << s.items_restored << " back, " << s.items_moved << " moved, " << s.items_deleted
            << " deleted; " << s.problems.size() << " skipped\n";
  for (const storage::CaptureProblem& p : s.problems) {
    std::cout << "  skipped " << platform::TerminalSafe(p.path);
    if (p.line > 0) std::cout << " line " << p.line;
    std::cout << ": " << platform::TerminalSafe(p.reason) << "\n";
  }
  for (const agent::CollectionLoss& loss : s.losses_suspected) {
    std::cout << "  SOURCE LOSS SUSPECTED in '" << platform::TerminalSafe(loss.collection) << "': " << loss.items_missing
              << " of " << loss.items_before
              << " items are gone from the device; no deletion was recorded. If you deleted them, "
                 "run: holdfast capture --accept-deletions "
              << platform::TerminalSafe(s.source) << "\n";
  }
}

int RunCapture(const GlobalOptions& options, const std::string& source, bool accept_deletions) {
  Result<Loaded> loaded = LoadConfigOnly(options);
  if (!loaded) return ReportError(loaded.error());
  if (loaded->config.sources.empty()) {
    return ReportError(Status(ErrorCode::kNotFound, loaded->config_path.string() +
                                                        ": no sources configured (add one with "
                                                        "`holdfast source add`)"));
  }
  Status opened = loaded->OpenVault(options);
  if (!opened.ok()) return ReportError(opened);
  agent::CaptureOptions capture_options;
  capture_options.only_source = source;
  capture_options.accept_deletions = accept_deletions;
  capture_options.now_ms = options.clock->NowMs();
  if (isatty(STDERR_FILENO)) capture_options.progress = PrintProgress;
  Result<agent::CaptureReport> report = agent::Capture(*loaded->vault, loaded->config, capture_options);
  if (!report) return ReportError(report.error());
  bool attention = false;
  for (const agent::SourceCapture& s : report->sources) {
    PrintSummary(s);
    attention = attention || !s.error.ok() || !s.losses_suspected.empty();
  }
  return attention ? agent::kExitAttention : agent::kExitOk;
}

}  // namespace

void RegisterCaptureCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* capture = app.add_subcommand("capture", "copy the sources into the vault");
  auto source = std::make_shared<std::string>();
  capture->add_option("--source", *source, "capture only this source");
  CLI::Option* accept_deletions = capture->add_option("--accept-deletions", *source,
                                                      "record the deletions the loss guard refused, for this source");
  SetRun(capture, invocation, [source, accept_deletions](const GlobalOptions& options) {
    return RunCapture(options, *source, accept_deletions->count() > 0);
  });
}

}  // namespace holdfast::cli
