#include "tools/sim/storm_model.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdint>
#include <random>
#include <tuple>

#include "agent/daemon/backoff.h"
#include "agent/sync/check.h"
#include "agent/sync/remote_client.h"
#include "agent/sync/retrying_http.h"
#include "platform/http_client.h"

namespace holdfast::tools {
namespace {

enum Kind : uint8_t {
  kRun,     // a run: the check (GET state), then the upload when it is due
  kUpload,  // an upload request, sent again inside a run after a 429
  kDone,    // an admitted upload finished and was verified
};

struct Event {
  int64_t t_ms;
  uint32_t device;
  uint8_t kind;
  uint8_t attempt;  // inside the run: 0 for the first request
};

struct Later {
  bool operator()(const Event& a, const Event& b) const {
    return std::tie(a.t_ms, a.device, a.kind, a.attempt) > std::tie(b.t_ms, b.device, b.kind, b.attempt);
  }
};

struct Device {
  int64_t slot_ms = 0;
  int failures = 0;
};

std::string Hex64(uint64_t x) {
  char text[17];
  std::snprintf(text, sizeof text, "%016" PRIx64, x);
  return text;
}

Status Invalid(const std::string& what) { return Status(ErrorCode::kInvalidArgument, "storm parameters: " + what); }

Status Validate(const StormParams& p) {
  if (p.devices < 1 || p.devices > int64_t{UINT32_MAX}) return Invalid("devices must be 1 to 4294967295");
  if (p.capacity_per_s < 1) return Invalid("capacity_per_s must be at least 1");
  if (p.retry_after_s < 0) return Invalid("retry_after_s must not be negative");
  if (p.outage_s < 0 || p.not_before_delay_s < 0 || p.spread_s < 0) {
    return Invalid("outage_s, not_before_delay_s and spread_s must not be negative");
  }
  if (p.check_interval_s < 1 || p.retry_min_s < 1 || p.upload_s < 1 || p.baseline_retry_s < 1) {
    return Invalid("check_interval_s, retry_min_s, upload_s and baseline_retry_s must be at least 1");
  }
  if (p.retry_max_s < p.retry_min_s) return Invalid("retry_max_s must be at least retry_min_s");
  if (p.horizon_s < 1 || p.horizon_s > 30 * 86400) return Invalid("horizon_s must be 1 s to 30 days");
  return Status::Ok();
}

class Simulation {
 public:
  // The agent's runs retry inside a run as agent_loop.cc's do (RunRemoteOptions).
  explicit Simulation(const StormParams& p) : p_(p), rng_(p.seed), options_(agent::RunRemoteOptions()) {
    refused_429_.status = 429;
    refused_429_.retry_after_s = p.retry_after_s;
    unreachable_.transport = Status(ErrorCode::kNetwork, "connection refused");
    horizon_ms_ = p.horizon_s * 1000;
    outage_start_ms_ = -p.outage_s * 1000;
    result_.arrivals.assign(static_cast<size_t>(p.horizon_s), 0);
    result_.admitted.assign(static_cast<size_t>(p.horizon_s), 0);
    result_.refused.assign(static_cast<size_t>(p.horizon_s), 0);
    result_.done_ms.assign(static_cast<size_t>(p.devices), -1);
    result_.not_before_ms = p.not_before_delay_s * 1000;
    result_.spread_ms = p.spread_s * 1000;
  }

  StormResult Run() {
    const std::string request_id = "r-" + Hex64(rng_());
    const int64_t check_ms = p_.check_interval_s * 1000;
    // Start one check interval before the outage, each device at a random
    // phase of its checks (devices were switched on at random moments).
    start_ms_ = outage_start_ms_ - check_ms;
    buckets_.resize(static_cast<size_t>((horizon_ms_ - start_ms_) / 1000 + 1));
    current_ = SIZE_MAX;
    devices_.resize(static_cast<size_t>(p_.devices));
    std::uniform_int_distribution<int64_t> phase(0, check_ms - 1);
    for (uint32_t d = 0; d < devices_.size(); ++d) {
      // A vault's device id: 16 random bytes in lower-case hex (storage/migrations.cc).
      const std::string device_id = Hex64(rng_()) + Hex64(rng_());
      devices_[d].slot_ms = agent::ReuploadSlot(device_id, request_id, result_.not_before_ms, result_.spread_ms);
      Schedule(start_ms_ + phase(rng_), d, kRun, 0);
    }
    // A calendar queue: one bucket per second, the current one a heap (an
    // event may be scheduled into the second being run).
    for (current_ = 0; current_ < buckets_.size(); ++current_) {
      now_heap_ = std::move(buckets_[current_]);
      buckets_[current_] = {};
      std::make_heap(now_heap_.begin(), now_heap_.end(), Later());
      while (!now_heap_.empty()) {
        std::pop_heap(now_heap_.begin(), now_heap_.end(), Later());
        const Event e = now_heap_.back();
        now_heap_.pop_back();
        switch (e.kind) {
          case kRun: OnRun(e); break;
          case kUpload: OnUpload(e.t_ms, e.device, e.attempt); break;
          case kDone: result_.done_ms[e.device] = e.t_ms; break;
        }
      }
    }
    return std::move(result_);
  }

 private:
  bool Agent() const { return p_.fleet == Fleet::kAgent; }

  void Schedule(int64_t t_ms, uint32_t device, Kind kind, int attempt) {
    if (t_ms >= horizon_ms_) return;
    const Event e{t_ms, device, kind, static_cast<uint8_t>(attempt)};
    const size_t bucket = static_cast<size_t>((t_ms - start_ms_) / 1000);
    if (bucket == current_) {
      now_heap_.push_back(e);
      std::push_heap(now_heap_.begin(), now_heap_.end(), Later());
    } else {
      buckets_[bucket].push_back(e);  // later than current_: events never go back in time
    }
  }

  void OnRun(const Event& e) {
    Device& device = devices_[e.device];
    const int64_t check_ms = p_.check_interval_s * 1000;
    if (e.t_ms < outage_start_ms_) {
      // Before the outage: a healthy check, nothing requested.
      device.failures = 0;
      Schedule(e.t_ms + (Agent() ? agent::JitteredIntervalMs(check_ms, rng_) : check_ms), e.device, kRun, 0);
      return;
    }
    if (e.t_ms < 0) {
      // The server is down: the check's connection is refused.
      if (!Agent()) {
        // Every baseline_retry_s without jitter: jump to the first try after the outage.
        const int64_t retry_ms = p_.baseline_retry_s * 1000;
        Schedule(e.t_ms + (-e.t_ms + retry_ms - 1) / retry_ms * retry_ms, e.device, kRun, 0);
        return;
      }
      if (e.attempt + 1 < options_.max_attempts) {
        const int64_t delay = agent::RetryDelayMs(options_, e.attempt, unreachable_, rng_).value_or(0);
        Schedule(e.t_ms + delay, e.device, kRun, e.attempt + 1);
        return;
      }
      ++device.failures;
      Schedule(e.t_ms + agent::FailureBackoffMs(device.failures, p_.retry_min_s * 1000, p_.retry_max_s * 1000,
                                                std::nullopt, rng_),
               e.device, kRun, 0);
      return;
    }
    ++result_.runs;
    if (Agent() && e.t_ms < device.slot_ms) {
      // agent/sync/recover.cc: before its slot a device only learns when it
      // is due; agent_loop.cc's AfterSync then asks NextRunDelayMs, which
      // comes back at the slot or at the next check, whichever is first.
      device.failures = 0;
      agent::ReachedRun reached;
      reached.slot_wall_ms = device.slot_ms;
      Schedule(e.t_ms + agent::NextRunDelayMs(check_ms, p_.retry_min_s * 1000, reached, e.t_ms, rng_), e.device,
               kRun, 0);
      return;
    }
    OnUpload(e.t_ms, e.device, 0);
  }

  void OnUpload(int64_t t_ms, uint32_t d, int attempt) {
    const size_t second = static_cast<size_t>(t_ms / 1000);
    ++result_.arrivals[second];
    if (result_.admitted[second] < p_.capacity_per_s) {
      ++result_.admitted[second];
      const int64_t upload_ms = std::uniform_int_distribution<int64_t>(p_.upload_s * 500, p_.upload_s * 1500)(rng_);
      Schedule(t_ms + upload_ms, d, kDone, 0);
      return;
    }
    ++result_.refused[second];
    if (!Agent()) {
      ++result_.failed_runs;
      Schedule(t_ms + p_.baseline_retry_s * 1000, d, kRun, 0);
      return;
    }
    // agent/sync/remote_client.cc: a 429 is sent again inside the run,
    // after RetryDelayMs (nullopt: a Retry-After too long to wait for in a
    // run ends it); then the loop's backoff, at least the Retry-After.
    if (attempt + 1 < options_.max_attempts) {
      if (const std::optional<int64_t> delay = agent::RetryDelayMs(options_, attempt, refused_429_, rng_)) {
        Schedule(t_ms + *delay, d, kUpload, attempt + 1);
        return;
      }
    }
    ++result_.failed_runs;
    Device& device = devices_[d];
    ++device.failures;
    Schedule(t_ms + agent::FailureBackoffMs(device.failures, p_.retry_min_s * 1000, p_.retry_max_s * 1000,
                                            agent::RetryAfterMsOf(p_.retry_after_s), rng_),
             d, kRun, 0);
  }

  const StormParams& p_;
  std::mt19937_64 rng_;
  agent::RemoteOptions options_;
  platform::HttpResponse refused_429_;
  platform::HttpResponse unreachable_;
  int64_t horizon_ms_ = 0;
  int64_t outage_start_ms_ = 0;
  std::vector<Device> devices_;
  int64_t start_ms_ = 0;                   // the first bucket's time
  std::vector<std::vector<Event>> buckets_;  // by second from start_ms_
  size_t current_ = 0;                     // the bucket being run
  std::vector<Event> now_heap_;            // its events, earliest on top
  StormResult result_;
};

double Percentile(const std::vector<int64_t>& sorted_ms, double p) {
  if (sorted_ms.empty()) return 0;
  size_t rank = static_cast<size_t>(p * static_cast<double>(sorted_ms.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, sorted_ms.size());
  return static_cast<double>(sorted_ms[rank - 1]) / 1000.0;
}

}  // namespace

Result<StormResult> RunStorm(const StormParams& params) {
  HF_RETURN_IF_ERROR(Validate(params));
  return Simulation(params).Run();
}

StormSummary Summarize(const StormParams& params, const StormResult& result) {
  StormSummary s;
  int64_t first = -1, last = -1;
  for (size_t i = 0; i < result.arrivals.size(); ++i) {
    const int64_t a = result.arrivals[i];
    if (a > s.max_arrivals_per_s) {
      s.max_arrivals_per_s = a;
      s.max_arrivals_second = static_cast<int64_t>(i);
    }
    s.max_admitted_per_s = std::max(s.max_admitted_per_s, result.admitted[i]);
    if (a > params.capacity_per_s) ++s.seconds_over_capacity;
    s.arrivals += a;
    s.admitted += result.admitted[i];
    s.refused += result.refused[i];
    if (a > 0 && first < 0) first = static_cast<int64_t>(i);
    if (result.admitted[i] > 0) last = static_cast<int64_t>(i);
  }
  if (first >= 0 && last >= first) {
    s.busy_seconds = last - first + 1;
    for (int64_t i = first; i <= last; ++i) {
      if (result.admitted[static_cast<size_t>(i)] == params.capacity_per_s) ++s.seconds_at_capacity;
    }
  }
  std::vector<int64_t> done;
  done.reserve(result.done_ms.size());
  for (int64_t t : result.done_ms) {
    if (t >= 0) done.push_back(t);
  }
  std::sort(done.begin(), done.end());
  s.done = static_cast<int64_t>(done.size());
  s.p50_s = Percentile(done, 0.50);
  s.p90_s = Percentile(done, 0.90);
  s.p99_s = Percentile(done, 0.99);
  s.max_s = done.empty() ? 0 : static_cast<double>(done.back()) / 1000.0;
  s.deadline_ms = result.not_before_ms + result.spread_ms * 11 / 10;
  const auto by_deadline = std::upper_bound(done.begin(), done.end(), s.deadline_ms) - done.begin();
  s.fraction_by_deadline =
      result.done_ms.empty() ? 0 : static_cast<double>(by_deadline) / static_cast<double>(result.done_ms.size());
  return s;
}

}  // namespace holdfast::tools
