// `holdfast check`, `holdfast recover [--wait]`, `holdfast reupload [--collection C]`:
// detecting a server that lost the data, and putting it back, verified.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "agent/json_text.h"
#include "agent/sync/sync_engine.h"
#include "platform/clock.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {
namespace {

void PrintCheck(const agent::CheckReport& check) {
  std::cout << "Remote " << platform::TerminalSafe(check.remote) << ": ";
  if (!check.unreachable.ok()) {
    std::cout << "UNKNOWN: " << platform::TerminalSafe(check.unreachable.message()) << " (not read as a loss; nothing was changed)\n";
    return;
  }
  std::cout << "epoch " << check.epoch << (check.epoch_changed ? " (CHANGED: the server's store was replaced)" : "") << "\n";
  if (check.reupload) {
    std::cout << "  operator re-upload " << check.reupload->id << ": "
              << (check.reupload->done ? "done" : "this device's slot is " + platform::FormatUtc(check.reupload->slot_ms))
              << "\n";
  }
  for (const agent::CollectionCheck& c : check.collections) {
    std::cout << "  " << storage::ItemKindName(c.collection.kind) << " '" << platform::TerminalSafe(c.collection.name) << "': "
              << agent::HealthName(c.health) << " (" << c.acknowledged << " acknowledged, "
              << (c.on_server < 0 ? std::string("none") : std::to_string(c.on_server)) << " on the server)";
    if (!c.reason.empty()) std::cout << ": " << platform::TerminalSafe(c.reason);
    std::cout << "\n";
    // Per item, a few at most: the JSON output lists them all.
    // `total`: how many there are; `uids` may name fewer (CheckOptions).
    auto list = [](const char* what, const std::vector<std::string>& uids, size_t total) {
      constexpr size_t kShown = 20;
      for (size_t i = 0; i < uids.size() && i < kShown; ++i) {
        std::cout << "    " << what << " '" << platform::TerminalSafe(uids[i]) << "'\n";
      }
      if (total > kShown) std::cout << "    ... and " << total - kShown << " more (`check --json`)\n";
    };
    if (c.health == agent::Health::kLost) list("lost", c.missing_uids, static_cast<size_t>(c.missing));
    list("changed on the server by another client (kept there; not a loss):", c.changed_elsewhere,
         c.changed_elsewhere.size());
  }
}

// `check --json`: one object; per collection its health, reason and items.
std::string CheckJson(const agent::CheckReport& check) {
  nlohmann::json doc = {{"remote", check.remote}, {"epoch", check.epoch}, {"epoch_changed", check.epoch_changed}};
  if (!check.unreachable.ok()) doc["unknown"] = check.unreachable.message();
  nlohmann::json collections = nlohmann::json::array();
  for (const agent::CollectionCheck& c : check.collections) {
    nlohmann::json entry = {{"kind", storage::ItemKindName(c.collection.kind)},
                            {"health", agent::HealthName(c.health)},
                            {"reason", c.reason},
                            {"acknowledged", c.acknowledged},
                            {"on_server", c.on_server},
                            {"by_markers", c.by_markers},
                            {"sync_token_unknown", c.sync_token_unknown}};
    agent::PutJsonText(&entry, "name", c.collection.name);
    nlohmann::json items = nlohmann::json::array();
    auto add = [&items](const std::vector<std::string>& uids, const char* state) {
      for (const std::string& uid : uids) {
        nlohmann::json item = {{"state", state}};
        agent::PutJsonText(&item, "uid", uid);
        items.push_back(std::move(item));
      }
    };
    if (c.health == agent::Health::kLost) add(c.missing_uids, "lost");
    add(c.changed_elsewhere, "changed_elsewhere");
    entry["items"] = std::move(items);
    collections.push_back(std::move(entry));
  }
  doc["collections"] = std::move(collections);
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void PrintRecovery(const agent::RecoverReport& r) {
  if (!r.started) {
    if (r.waiting_until_ms > 0) {
      std::cout << "An operator re-upload is due at this device's slot, " << platform::FormatUtc(r.waiting_until_ms)
                << " (run `holdfast recover --wait`, or it runs at the next push after that)\n";
    } else {
      std::cout << "Nothing to recover: the server holds everything it acknowledged.\n";
    }
    return;
  }
  std::cout << (r.resumed ? "Resumed" : "Ran") << " a recovery (" << platform::TerminalSafe(r.reason) << ") in " << r.rounds << " round(s), "
            << static_cast<double>(r.duration_ms) / 1000.0 << " s";
  if (r.second_wipes > 0) std::cout << "; the server was wiped again meanwhile (" << r.second_wipes << "x): restarted";
  std::cout << "\n\n  kind       items re-sent        bytes\n";
  for (storage::ItemKind kind : storage::kAllItemKinds) {
    const agent::KindTotals& t = r.by_kind[static_cast<size_t>(kind)];
    std::printf("  %-9s %14lld %12lld\n", storage::ItemKindName(kind), static_cast<long long>(t.items),
                static_cast<long long>(t.bytes));
  }
  std::fflush(stdout);
  std::cout << "\n"
            << (r.verified ? "VERIFIED: the server's inventory equals the vault, item by item (uid and SHA-256)\n"
                           : "NOT VERIFIED: " + std::to_string(r.items_differing_at_end) +
                                 " items still differ; run `holdfast recover` again\n");
  for (const std::string& refused : r.refused) std::cout << "  REFUSED " << platform::TerminalSafe(refused) << "\n";
}

agent::PushProgressFn ProgressForTerminal(const platform::Clock& clock) {
  if (isatty(STDERR_FILENO) == 0) return {};
  const int64_t started = clock.NowMs();
  return [started, &clock](const agent::PushProgress& p) {
    const double seconds = std::max<double>(static_cast<double>(clock.NowMs() - started) / 1000.0, 0.001);
    const double rate = static_cast<double>(p.bytes_done) / seconds;
    const double left = rate > 0 ? static_cast<double>(p.bytes_total - p.bytes_done) / rate : 0;
    std::fprintf(stderr, "\r%lld/%lld items, %.1f/%.1f MiB, %.1f MiB/s, %.0f s left   ",
                 static_cast<long long>(p.items_done), static_cast<long long>(p.items_total),
                 static_cast<double>(p.bytes_done) / 1048576.0, static_cast<double>(p.bytes_total) / 1048576.0,
                 rate / 1048576.0, left);
  };
}

int RunRecovery(const GlobalOptions& options, const std::string& remote, const agent::RecoverRequest& request) {
  Result<RemoteSession> session = OpenRemoteSession(options, remote, agent::RemoteOptions{});
  if (!session) return ReportError(session.error());
  agent::SyncEngine engine(*session->vault, *session->backend, *options.clock, ProgressForTerminal(*options.clock));
  Result<agent::RecoverReport> report = engine.Recover(request);
  if (isatty(STDERR_FILENO) != 0) std::fprintf(stderr, "\n");
  if (!report) return ReportError(report.error());
  if (report->started) {
    int64_t lost = 0;
    for (const agent::CollectionCheck& c : report->check.collections) lost += c.health == agent::Health::kLost;
    std::cout << "Remote " << platform::TerminalSafe(report->remote) << ": " << lost << " of " << report->check.collections.size()
              << " collections had lost data" << (report->check.epoch_changed ? " (new epoch: the store was replaced)" : "")
              << "\n";
  } else {
    PrintCheck(report->check);
  }
  PrintRecovery(*report);
  return !report->started || report->verified ? agent::kExitOk : agent::kExitRemote;
}

int RunCheck(const GlobalOptions& options, const std::string& remote, bool json) {
  Result<RemoteSession> session = OpenRemoteSession(options, remote, agent::RemoteOptions{});
  if (!session) return ReportError(session.error());
  agent::SyncEngine engine(*session->vault, *session->backend, *options.clock);
  Result<agent::CheckReport> check = engine.Check();
  if (!check) return ReportError(check.error());
  if (json) {
    std::cout << CheckJson(*check);
  } else {
    PrintCheck(*check);
  }
  if (!check->unreachable.ok()) return agent::ExitCodeFor(check->unreachable.code());
  if (check->AnyLost()) {
    if (!json) std::cout << "The server lost data it had acknowledged: run `holdfast recover` (or `holdfast push`) to put it back.\n";
    return agent::kExitAttention;
  }
  // A collection whose inventory could not be read (a server outside the
  // protocol) is not known to be healthy: it must not exit as if it were.
  // (A loss found elsewhere comes first: recovering it is what to do next.)
  for (const agent::CollectionCheck& c : check->collections) {
    if (c.health == agent::Health::kUnknown) return agent::ExitCodeFor(ErrorCode::kServerError);
  }
  return agent::kExitOk;
}

int RunRecover(const GlobalOptions& options, const std::string& remote, bool wait) {
  agent::RecoverRequest request;
  request.wait_for_slot = wait;
  return RunRecovery(options, remote, request);
}

int RunReupload(const GlobalOptions& options, const std::string& remote, const std::string& collection) {
  agent::RecoverRequest request;
  request.manual_reupload = true;
  if (!collection.empty()) request.collection = collection;
  return RunRecovery(options, remote, request);
}
}  // namespace

void RegisterRecoverCommands(CLI::App& app, Invocation& invocation) {
  CLI::App* check = app.add_subcommand("check", "has the server lost data it acknowledged?");
  auto check_remote = std::make_shared<std::string>();
  auto check_json = std::make_shared<bool>(false);
  check->add_option("--remote", *check_remote, "the remote (default: the only one)");
  check->add_flag("--json", *check_json, "machine-readable output");
  SetRun(check, invocation, [check_remote, check_json](const GlobalOptions& options) {
    return RunCheck(options, *check_remote, *check_json);
  });

  CLI::App* recover = app.add_subcommand("recover", "put back what the server lost, verified by read-back");
  auto recover_remote = std::make_shared<std::string>();
  auto wait = std::make_shared<bool>(false);
  recover->add_option("--remote", *recover_remote, "the remote (default: the only one)");
  recover->add_flag("--wait", *wait, "for an operator's re-upload: wait for this device's slot");
  SetRun(recover, invocation,
         [recover_remote, wait](const GlobalOptions& options) { return RunRecover(options, *recover_remote, *wait); });

  CLI::App* reupload = app.add_subcommand("reupload", "send everything (or one collection) again, verified");
  auto reupload_remote = std::make_shared<std::string>();
  auto collection = std::make_shared<std::string>();
  reupload->add_option("--remote", *reupload_remote, "the remote (default: the only one)");
  reupload->add_option("--collection", *collection, "only this collection");
  SetRun(reupload, invocation, [reupload_remote, collection](const GlobalOptions& options) {
    return RunReupload(options, *reupload_remote, *collection);
  });
}

}  // namespace holdfast::cli
