// holdfast-reupload-sim: an operator's re-upload request after an outage,
// at fleet scale, decided by the agent's own code (tools/sim/storm_model.h).
// Prints the figures of docs/fleet.md; --csv writes arrivals per second.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "agent/daemon/backoff.h"
#include "tools/sim/storm_model.h"

namespace {

using holdfast::tools::Fleet;
using holdfast::tools::StormParams;
using holdfast::tools::StormResult;
using holdfast::tools::StormSummary;

bool WriteCsv(const std::string& path, const StormResult& result, int64_t until_s) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return false;
  out << "second,arrivals,admitted,refused\n";
  for (size_t i = 0; i < result.arrivals.size() && static_cast<int64_t>(i) <= until_s; ++i) {
    out << i << ',' << result.arrivals[i] << ',' << result.admitted[i] << ',' << result.refused[i] << '\n';
  }
  out.flush();
  return static_cast<bool>(out);
}

void Print(const StormParams& p, const StormResult& r, const StormSummary& s, double elapsed_s) {
  const double devices = static_cast<double>(p.devices);
  std::printf("fleet: %s\n", p.fleet == Fleet::kAgent ? "agent" : "baseline");
  std::printf("devices: %lld  seed: %llu\n", static_cast<long long>(p.devices),
              static_cast<unsigned long long>(p.seed));
  std::printf("server: capacity %lld uploads/s, Retry-After %lld s; outage %lld s before the request\n",
              static_cast<long long>(p.capacity_per_s), static_cast<long long>(p.retry_after_s),
              static_cast<long long>(p.outage_s));
  std::printf("request: not_before +%lld s, spread %lld s; deadline (not_before + 1.1 x spread) %.0f s\n",
              static_cast<long long>(p.not_before_delay_s), static_cast<long long>(p.spread_s),
              static_cast<double>(s.deadline_ms) / 1000.0);
  if (p.fleet == Fleet::kAgent) {
    std::printf("agent: check every %lld s +-25%%, retry %lld..%lld s full jitter; upload %lld s x [0.5, 1.5]\n",
                static_cast<long long>(p.check_interval_s), static_cast<long long>(p.retry_min_s),
                static_cast<long long>(p.retry_max_s), static_cast<long long>(p.upload_s));
  } else {
    std::printf("baseline: check every %lld s, retry every %lld s, no slot; upload %lld s x [0.5, 1.5]\n",
                static_cast<long long>(p.check_interval_s), static_cast<long long>(p.baseline_retry_s),
                static_cast<long long>(p.upload_s));
  }
  std::printf("max arrivals/s: %lld (second %lld); max admitted/s: %lld; seconds above capacity: %lld\n",
              static_cast<long long>(s.max_arrivals_per_s), static_cast<long long>(s.max_arrivals_second),
              static_cast<long long>(s.max_admitted_per_s), static_cast<long long>(s.seconds_over_capacity));
  std::printf("arrivals: %lld = admitted %lld + refused %lld; runs after the request %lld, ended by 429: %lld\n",
              static_cast<long long>(s.arrivals), static_cast<long long>(s.admitted),
              static_cast<long long>(s.refused), static_cast<long long>(r.runs), static_cast<long long>(r.failed_runs));
  std::printf("at capacity: %lld of %lld busy seconds (%.1f%%)\n", static_cast<long long>(s.seconds_at_capacity),
              static_cast<long long>(s.busy_seconds),
              s.busy_seconds > 0 ? 100.0 * static_cast<double>(s.seconds_at_capacity) / static_cast<double>(s.busy_seconds)
                                 : 0.0);
  std::printf("done: %lld of %lld; completion after the request p50 %.0f s, p90 %.0f s, p99 %.0f s, max %.0f s\n",
              static_cast<long long>(s.done), static_cast<long long>(p.devices), s.p50_s, s.p90_s, s.p99_s, s.max_s);
  std::printf("done by the deadline: %.4f%%\n", 100.0 * s.fraction_by_deadline);
  std::printf("targets: arrivals never above capacity: %s; every device done by the deadline: %s\n",
              s.max_arrivals_per_s <= p.capacity_per_s ? "met" : "NOT met",
              static_cast<double>(s.done) == devices && s.fraction_by_deadline == 1.0 ? "met" : "NOT met");
  std::printf("simulated in %.1f s\n", elapsed_s);
}

}  // namespace

int main(int argc, char** argv) {
  StormParams p;
  std::string fleet = "agent";
  std::string csv;
  CLI::App app{"holdfast-reupload-sim: an operator's re-upload request reaching a fleet after an outage "
               "(docs/fleet.md). Times in seconds."};
  app.add_option("--fleet", fleet, "agent (the agent's code) or baseline (no jitter, no slot)")
      ->check(CLI::IsMember({"agent", "baseline"}));
  app.add_option("--devices", p.devices, "devices in the fleet")->capture_default_str();
  app.add_option("--seed", p.seed, "random seed (same seed, same figures)")->capture_default_str();
  app.add_option("--capacity", p.capacity_per_s, "uploads the server admits per second")->capture_default_str();
  app.add_option("--retry-after", p.retry_after_s, "the server's Retry-After on a 429")->capture_default_str();
  app.add_option("--outage", p.outage_s, "how long the server was down before the request")->capture_default_str();
  int64_t not_before_s = -1;
  app.add_option("--not-before", not_before_s,
                 "the window opens this long after the request (default: holdfast-server request-reupload's, "
                 "max(1.25 x check interval, retry max))");
  app.add_option("--spread", p.spread_s, "the request's spread window")->capture_default_str();
  app.add_option("--check-interval", p.check_interval_s, "agent.check_interval_s")->capture_default_str();
  app.add_option("--retry-min", p.retry_min_s, "agent.retry_min_s")->capture_default_str();
  app.add_option("--retry-max", p.retry_max_s, "agent.retry_max_s")->capture_default_str();
  app.add_option("--upload", p.upload_s, "one device's re-upload, on average")->capture_default_str();
  app.add_option("--baseline-retry", p.baseline_retry_s, "the baseline's fixed retry interval")
      ->capture_default_str();
  app.add_option("--horizon", p.horizon_s, "simulated time after the request")->capture_default_str();
  app.add_option("--csv", csv, "write second,arrivals,admitted,refused to this file");
  CLI11_PARSE(app, argc, argv);
  p.fleet = fleet == "agent" ? Fleet::kAgent : Fleet::kBaseline;
  // The request as request-reupload makes it by default, from the agent's own rule.
  p.not_before_delay_s = not_before_s >= 0 ? not_before_s
                                            : holdfast::agent::ReuploadLeadMs(p.check_interval_s * 1000,
                                                                              p.retry_max_s * 1000) / 1000;

  const auto started = std::chrono::steady_clock::now();
  holdfast::Result<StormResult> result = holdfast::tools::RunStorm(p);
  if (!result) {
    std::cerr << "holdfast-reupload-sim: " << result.error().ToString() << "\n";
    return 2;
  }
  const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const StormSummary summary = holdfast::tools::Summarize(p, *result);
  if (!csv.empty()) {
    // Up to the last completion, and at least to the deadline.
    const int64_t until_s = std::max<int64_t>(static_cast<int64_t>(summary.max_s) + 1, summary.deadline_ms / 1000);
    if (!WriteCsv(csv, *result, until_s)) {
      std::cerr << "holdfast-reupload-sim: cannot write " << csv << "\n";
      return 1;
    }
  }
  Print(p, *result, summary, elapsed_s);
  return 0;
}
