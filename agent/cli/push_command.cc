// `holdfast push [--remote NAME] [--max-rate RATE]`: new and changed items, blobs and deletions to a server.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <map>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "agent/sync/sync_engine.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {
namespace {

// "500k", "2M", "1.5MiB", "100000": bytes per second.
Result<int64_t> ParseRate(const std::string& text) {
  if (text.empty()) return int64_t{0};
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  std::string unit = end != nullptr ? end : "";
  for (const char* suffix : {"iB/s", "B/s", "/s", "iB", "B"}) {
    if (unit.size() > std::string(suffix).size() && unit.compare(unit.size() - std::string(suffix).size(), std::string::npos, suffix) == 0) {
      unit.erase(unit.size() - std::string(suffix).size());
      break;
    }
  }
  const std::map<std::string, double> kUnits = {{"", 1}, {"k", 1024}, {"K", 1024}, {"m", 1048576}, {"M", 1048576}, {"G", 1073741824}};
  if (value <= 0 || kUnits.count(unit) == 0) {
    return Status(ErrorCode::kInvalidArgument, "--max-rate " + text + ": use bytes per second, e.g. 500k or 2M");
  }
  return static_cast<int64_t>(value * kUnits.at(unit));
}

int RunPush(const GlobalOptions& options, const std::string& remote, const std::string& max_rate) {
  Result<int64_t> rate = ParseRate(max_rate);
  if (!rate) return ReportError(rate.error());
  agent::RemoteOptions remote_options;
  remote_options.http.max_send_bytes_per_s = *rate;
  Result<RemoteSession> session = OpenRemoteSession(options, remote, remote_options);
  if (!session) return ReportError(session.error());
  const bool tty = isatty(STDERR_FILENO) != 0;
  agent::PushProgressFn progress;
  if (tty) {
    progress = [](const agent::PushProgress& p) {
      std::fprintf(stderr, "\r%lld/%lld items, %.1f/%.1f MiB   ", static_cast<long long>(p.items_done),
                   static_cast<long long>(p.items_total), static_cast<double>(p.bytes_done) / 1048576.0,
                   static_cast<double>(p.bytes_total) / 1048576.0);
    };
  }
  agent::SyncEngine engine(*session->vault, *session->backend, *options.clock, progress);
  Result<agent::SyncReport> synced = engine.Push();
  if (tty) std::fprintf(stderr, "\n");
  if (!synced) return ReportError(synced.error());
  if (synced->recovery.started) {
    const agent::RecoverReport& recovered = synced->recovery;
    std::cout << "The server had lost data (" << platform::TerminalSafe(recovered.reason) << "): recovered in " << recovered.rounds
              << " round(s), " << (recovered.verified ? "VERIFIED by read-back" : "NOT verified yet") << "\n";
    for (const std::string& refused : recovered.refused) std::cout << "  REFUSED " << platform::TerminalSafe(refused) << "\n";
    return recovered.verified ? agent::kExitOk : agent::kExitRemote;
  }
  const agent::PushReport& report = *synced->push;
  if (report.epoch_changed) {
    std::cout << "The server's data was replaced since the last push (new epoch " << report.epoch
              << "): everything was sent again.\n";
  }
  const double seconds = std::max<double>(static_cast<double>(report.duration_ms) / 1000.0, 0.001);
  std::cout << "Pushed to " << platform::TerminalSafe(report.remote) << ": " << report.items_stored << " items stored, "
            << report.items_unchanged << " already there, " << report.deletes << " deletions, "
            << report.blobs_uploaded << " blobs uploaded, " << report.collections_created
            << " collections created; " << report.bytes_sent << " bytes in " << seconds << " s ("
            << static_cast<double>(report.bytes_sent) / 1048576.0 / seconds << " MiB/s), " << report.retries
            << " retries\n";
  for (const std::string& refused : report.refused) std::cout << "  REFUSED " << platform::TerminalSafe(refused) << "\n";
  return report.refused.empty() ? agent::kExitOk : agent::kExitRemote;
}
}  // namespace

void RegisterPushCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* push = app.add_subcommand("push", "send new and changed items, blobs and deletions to a server");
  auto remote = std::make_shared<std::string>();
  auto max_rate = std::make_shared<std::string>();
  push->add_option("--remote", *remote, "the remote (default: the only one)");
  push->add_option("--max-rate", *max_rate, "bandwidth limit in bytes per second, e.g. 500k, 2M");
  SetRun(push, invocation,
         [remote, max_rate](const GlobalOptions& options) { return RunPush(options, *remote, *max_rate); });
}

}  // namespace holdfast::cli
