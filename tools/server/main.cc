// holdfast-server: the reference server of the sync protocol (docs/protocol.md)
// and its operator commands. One SQLite file under --data holds every account.
#include <signal.h>

#include <cerrno>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <iostream>
#include <thread>

#include "agent/config.h"
#include "agent/daemon/backoff.h"
#include "platform/clock.h"
#include "tools/server/faults.h"
#include "tools/server/guarded_server.h"
#include "tools/server/http_api.h"
#include "tools/server/server_store.h"

namespace {

using holdfast::Result;
using holdfast::Status;
using holdfast::server::ServerStore;

int Fail(const Status& status) {
  std::cerr << "holdfast-server: " << status.ToString() << "\n";
  return 1;
}

Result<std::unique_ptr<ServerStore>> OpenStore(const std::string& data) {
  if (data.empty()) return Status(holdfast::ErrorCode::kInvalidArgument, "--data is required");
  return ServerStore::Open(data);
}

// "90s", "30m", "1h", "2d" or plain milliseconds; `flag` names the option in errors.
Result<int64_t> ParseDuration(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  const std::string unit = end != nullptr ? end : "";
  const std::map<std::string, int64_t> kUnits = {{"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
  if (text.empty() || value < 0 || kUnits.count(unit) == 0) {
    return Status(holdfast::ErrorCode::kInvalidArgument, flag + " " + text + ": use e.g. 90s, 30m, 1h");
  }
  return static_cast<int64_t>(value * static_cast<double>(kUnits.at(unit)));
}

// A duration for people: "75 min", "1 h", "90 s".
std::string Minutes(int64_t ms) {
  if (ms % 3600000 == 0 && ms > 0) return std::to_string(ms / 3600000) + " h";
  if (ms % 60000 == 0 && ms > 0) return std::to_string(ms / 60000) + " min";
  return std::to_string(ms / 1000) + " s";
}

// What request-reupload asked and the load it implies (docs/recovery.md:
// capacity >= 1.3 x devices / spread, as the slots bunch up to about 1.27x
// the mean in one second of an hour's window).
void PrintReupload(int64_t accounts, bool all, const std::string& account, int64_t requested_ms,
                   int64_t not_before_ms, int64_t spread_ms, bool lead_given) {
  std::cout << "re-upload requested for "
            << (all ? "every account (" + std::to_string(accounts) + ")" : "account " + account) << "\n";
  std::cout << "window: opens " << holdfast::platform::FormatUtc(not_before_ms) << ", "
            << Minutes(not_before_ms - requested_ms) << " after the request"
            << (lead_given ? "" : " (the default: every agent with default settings has looked by then)")
            << ", for " << Minutes(spread_ms) << "\n";
  if (spread_ms <= 0) {
    std::cout << "spread 0: every device uploads the moment the window opens; for more than a few devices give "
                 "--spread so that the server admits at least 1.3 x devices / spread uploads per second\n";
    return;
  }
  char rate[160];
  std::snprintf(rate, sizeof rate, "%.3g uploads/s per 1,000 devices; %.3g/s for %lld device%s",
                1.3 * 1000.0 * 1000.0 / static_cast<double>(spread_ms),
                1.3 * static_cast<double>(accounts) * 1000.0 / static_cast<double>(spread_ms),
                static_cast<long long>(accounts), accounts == 1 ? "" : "s (one per account)");
  std::cout << "load: the server should admit at least 1.3 x devices / spread = " << rate << "\n";
}

int Serve(const std::string& data, const std::string& listen, const std::string& cert, const std::string& key,
          const std::string& faults_text, const std::string& request_log,
          const holdfast::server::AccountQuota& quota, const holdfast::server::Capacity& capacity,
          const holdfast::server::ConnectionLimits& limits) {
  Result<std::unique_ptr<ServerStore>> store = OpenStore(data);
  if (!store) return Fail(store.error());
  Result<holdfast::server::FaultSpec> spec = holdfast::server::ParseFaultSpec(faults_text);
  if (!spec) return Fail(spec.error());
  // Always there, with no fault for an empty spec: it numbers the requests for the log.
  holdfast::server::FaultInjector faults(*spec);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> log(nullptr, &std::fclose);
  if (!request_log.empty()) {
    log.reset(std::fopen(request_log.c_str(), "a"));
    if (!log) return Fail(holdfast::ErrnoStatus("--request-log " + request_log, errno));
  }
  // A fault closes connections under httplib's feet: its writes must fail, not kill the process.
  signal(SIGPIPE, SIG_IGN);

  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Fail(Status(holdfast::ErrorCode::kInvalidArgument, "--listen HOST:PORT"));
  const std::string host = listen.substr(0, colon);
  const int port = std::atoi(listen.substr(colon + 1).c_str());

  auto server = std::make_unique<holdfast::server::GuardedServer>(limits);
  if (!cert.empty() || !key.empty()) {
    if (Status tls = server->UseTls(cert, key); !tls.ok()) {
      return Fail(Status(holdfast::ErrorCode::kInvalidArgument,
                         "cannot load --tls-cert " + cert + " / --tls-key " + key + ": " + tls.message()));
    }
  }
  server->set_payload_max_length(holdfast::server::kMaxJsonBodyBytes + 4096);
  holdfast::server::Api api(**store, faults, log.get(), quota, capacity);
  api.Install(*server);

  const int bound = port == 0 ? server->bind_to_any_port(host) : (server->bind_to_port(host, port) ? port : -1);
  if (bound < 0) return Fail(Status(holdfast::ErrorCode::kIoError, "cannot listen on " + listen));
  if (Status backlog = holdfast::server::GuardedServer::WidenBacklog(bound, 1024); !backlog.ok()) return Fail(backlog);
  // Tests read this line to learn the port.
  std::cout << "listening on " << host << ":" << bound << (cert.empty() ? " (http)" : " (https)") << std::endl;

  // SIGTERM and SIGINT stop the server cleanly: in-flight requests finish.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread stopper([&]() {
    int signal = 0;
    sigwait(&signals, &signal);
    server->stop();
  });
  const bool ok = server->listen_after_bind();
  if (stopper.joinable()) {
    pthread_kill(stopper.native_handle(), SIGTERM);
    stopper.join();
  }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"holdfast-server: the reference server of Holdfast's sync protocol (docs/protocol.md)"};
  app.require_subcommand(1);
  std::string data;
  app.add_option("--data", data, "folder holding the server's SQLite file");

  CLI::App* serve = app.add_subcommand("serve", "serve the protocol over HTTP or HTTPS");
  std::string listen = "127.0.0.1:8443", cert, key, faults, request_log;
  serve->add_option("--data", data, "folder holding the server's SQLite file");
  serve->add_option("--listen", listen, "HOST:PORT (port 0: any free port, printed)");
  serve->add_option("--tls-cert", cert, "PEM certificate (chain) for HTTPS");
  serve->add_option("--tls-key", key, "PEM private key for HTTPS");
  serve->add_option("--faults", faults,
                    "fault injection, e.g. seed=7,error503=0.05,reset_after=0.02 or at=3:reset_after (docs/protocol.md)");
  serve->add_option("--request-log", request_log, "append one line per request answered: N METHOD PATH STATUS FAULT");
  holdfast::server::AccountQuota quota;
  serve->add_option("--quota-bytes", quota.max_bytes, "bytes one account may hold (inline items and blobs)")
      ->check(CLI::PositiveNumber);
  serve->add_option("--quota-items", quota.max_items, "items one account may hold")->check(CLI::PositiveNumber);
  holdfast::server::Capacity capacity;
  serve->add_option("--max-inflight", capacity.max_inflight,
                    "requests handled at once, all accounts together; beyond it 429 with Retry-After (0: no limit)")
      ->check(CLI::NonNegativeNumber);
  holdfast::server::ConnectionLimits limits;
  serve->add_option("--worker-threads", limits.worker_threads, "connections served at once, all clients together")
      ->check(CLI::PositiveNumber);
  serve->add_option("--max-connections-per-client", limits.max_connections_per_client,
                    "open connections one client address may hold (raise it behind a proxy)")
      ->check(CLI::PositiveNumber);
  serve->add_option("--retry-after", capacity.retry_after_s, "the Retry-After seconds of a 429 beyond --max-inflight")
      ->check(CLI::PositiveNumber);

  std::string account;
  bool all = false;
  CLI::App* add = app.add_subcommand("add-account", "create an account and print its token");
  add->add_option("--data", data, "folder holding the server's SQLite file");
  add->add_option("--account", account, "account name (with --count: the prefix of the names)")->required();
  int count = 0;
  add->add_option("--count", count, "create accounts ACCOUNT1..ACCOUNTN and print \"NAME TOKEN\" lines")
      ->check(CLI::PositiveNumber);
  CLI::App* wipe = app.add_subcommand("wipe", "drop an account's data (or all) and start a new epoch");
  wipe->add_option("--data", data, "folder holding the server's SQLite file");
  wipe->add_option("--account", account, "account name");
  wipe->add_flag("--all", all, "every account");
  std::string spread = "0";
  CLI::App* reupload = app.add_subcommand("request-reupload", "ask devices to upload everything again");
  reupload->add_option("--data", data, "folder holding the server's SQLite file");
  reupload->add_option("--account", account, "account name");
  reupload->add_flag("--all", all, "every account");
  reupload->add_option("--spread", spread, "spread the devices over this long (e.g. 1h)");
  std::string not_before;
  reupload->add_option("--not-before", not_before,
                       "open the window this long after now (default: max(1.25 x check_interval_s, retry_max_s) "
                       "of the agent's defaults, 75m; 0: at once)");
  CLI::App* inventory = app.add_subcommand("inventory", "what the server holds for an account");
  inventory->add_option("--data", data, "folder holding the server's SQLite file");
  inventory->add_option("--account", account, "account name")->required();
  CLI::App* verify = app.add_subcommand(
      "verify", "check the store: integrity, usage rows, item and blob hashes (exit 1 listing each fault)");
  verify->add_option("--data", data, "folder holding the server's SQLite file");
  CLI11_PARSE(app, argc, argv);

  if (serve->parsed()) return Serve(data, listen, cert, key, faults, request_log, quota, capacity, limits);
  Result<std::unique_ptr<ServerStore>> store = OpenStore(data);
  if (!store) return Fail(store.error());
  if ((wipe->parsed() || reupload->parsed()) && all == !account.empty()) {
    return Fail(Status(holdfast::ErrorCode::kInvalidArgument, "give --account A or --all"));
  }
  if (add->parsed() && count > 0) {
    for (int i = 1; i <= count; ++i) {
      const std::string name = account + std::to_string(i);
      Result<std::string> token = (*store)->AddAccount(name);
      if (!token) return Fail(token.error());
      std::cout << name << " " << *token << "\n";
    }
    return 0;
  }
  if (add->parsed()) {
    Result<std::string> token = (*store)->AddAccount(account);
    if (!token) return Fail(token.error());
    std::cout << *token << "\n";
    return 0;
  }
  if (wipe->parsed()) {
    Status status = (*store)->Wipe(account);
    if (!status.ok()) return Fail(status);
    std::cout << "wiped " << (all ? "every account" : "account " + account) << ": new epoch\n";
    return 0;
  }
  if (reupload->parsed()) {
    Result<int64_t> spread_ms = ParseDuration("--spread", spread);
    if (!spread_ms) return Fail(spread_ms.error());
    // By default the window opens once every device has looked at the
    // server (after an outage too): each then uploads at its slot and the
    // window's load is the slots' alone (docs/fleet.md).
    const holdfast::agent::AgentSettings agent_defaults;
    Result<int64_t> lead_ms =
        not_before.empty() ? Result<int64_t>(holdfast::agent::ReuploadLeadMs(agent_defaults.check_interval_s * 1000,
                                                                             agent_defaults.retry_max_s * 1000))
                           : ParseDuration("--not-before", not_before);
    if (!lead_ms) return Fail(lead_ms.error());
    const int64_t now_ms = holdfast::platform::NowMs();
    Result<int64_t> accounts = (*store)->RequestReupload(account, now_ms, now_ms + *lead_ms, *spread_ms);
    if (!accounts) return Fail(accounts.error());
    PrintReupload(*accounts, all, account, now_ms, now_ms + *lead_ms, *spread_ms, !not_before.empty());
    return 0;
  }
  if (verify->parsed()) {
    Result<std::vector<std::string>> problems = (*store)->Verify();
    if (!problems) return Fail(problems.error());
    for (const std::string& problem : *problems) std::cout << "FAULT " << problem << "\n";
    if (!problems->empty()) {
      std::cout << problems->size() << " fault(s) in " << data << "\n";
      return 1;
    }
    std::cout << "verified: " << data << " is consistent\n";
    return 0;
  }
  if (inventory->parsed()) {
    Result<holdfast::server::AccountState> state = (*store)->State(account);
    if (!state) return Fail(state.error());
    std::cout << "account " << account << ", epoch " << state->epoch << "\n";
    for (const auto& c : state->collections) {
      std::cout << "  " << c.id << "  " << c.kind << "  " << c.name << "  " << c.items << " items  digest "
                << c.digest << "\n";
    }
    return 0;
  }
  return 2;
}
