// A discrete-event model of an operator's re-upload request reaching a
// fleet after an outage (issue 17; docs/fleet.md): every device decides with
// the agent's own code, the server admits a stated number of uploads per
// second and answers the rest 429 with Retry-After.
//
// What runs the agent's code (linked from holdfast_agent, never copied):
//   ReuploadSlot        (agent/sync/check.h)       each device's moment in the window
//   JitteredIntervalMs  (agent/daemon/backoff.h)   the periodic check, +-25%
//   FailureBackoffMs    (agent/daemon/backoff.h)   the wait after a failed run, Retry-After obeyed
//   RetryDelayMs        (agent/sync/retrying_http.h) the retry of one request inside a run
//   RetryAfterMsOf      (agent/sync/retrying_http.h) Retry-After as the run's result carries it
//   RunRemoteOptions    (agent/daemon/backoff.h)   a run's retries: 3 attempts per request, 4 s cap
//   NextRunDelayMs      (agent/daemon/backoff.h)   after a check that found a future slot: back at
//                                                  the slot or at the next check, whichever is first
// What the model repeats: recover.cc's rule that a device uploads once its
// slot has come (now >= slot), and the run's order (check, then upload).
//
// Time: ms, 0 = the moment the server is back and the request is posted.
// Deterministic for a given StormParams (one mt19937_64 seeded from `seed`,
// events ordered by time, then device). Not thread-safe; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "platform/status.h"

namespace holdfast::tools {

enum class Fleet {
  kAgent,     // the agent's code as it is
  kBaseline,  // no jitter: checks every check_interval_s exactly, retries every baseline_retry_s,
              // starts uploading as soon as it sees the request, ignores Retry-After
};

struct StormParams {
  Fleet fleet = Fleet::kAgent;
  int64_t devices = 1'000'000;
  uint64_t seed = 1;
  // The server: uploads admitted per second (each second of the clock a
  // fresh allowance), the rest answered 429 with this Retry-After.
  int64_t capacity_per_s = 400;
  int64_t retry_after_s = 1;
  // The server was unreachable for this long before the request (0: none).
  int64_t outage_s = 7200;
  // The request: not_before = request time + not_before_delay_s, and its spread.
  int64_t not_before_delay_s = 0;
  int64_t spread_s = 3600;
  // The agent's settings (agent/config.h defaults).
  int64_t check_interval_s = 3600;
  int64_t retry_min_s = 15;
  int64_t retry_max_s = 3600;
  // One device's re-upload once admitted: drawn uniformly from
  // [0.5, 1.5] x upload_s (check, batches, blobs, read-back).
  int64_t upload_s = 120;
  // The baseline's fixed wait after any failure.
  int64_t baseline_retry_s = 60;
  // Simulated time after the request; devices not done by then count as not done.
  int64_t horizon_s = 48 * 3600;
};

struct StormResult {
  // Per second after the request (index = second), upload requests that
  // reached the server, those it admitted, those it answered 429.
  std::vector<int64_t> arrivals;
  std::vector<int64_t> admitted;
  std::vector<int64_t> refused;
  // Per device: when its re-upload was verified, in ms after the request;
  // -1 when not within the horizon.
  std::vector<int64_t> done_ms;
  int64_t runs = 0;           // agent runs (a check, and an upload when due) after the request
  int64_t failed_runs = 0;    // of those, ended by a 429 (the agent's backoff follows)
  int64_t not_before_ms = 0;  // the request's window, in ms after the request
  int64_t spread_ms = 0;
};

// Runs the model. Errors: kInvalidArgument for a parameter out of range
// (each named), e.g. no devices, capacity below 1, retry_max_s < retry_min_s.
Result<StormResult> RunStorm(const StormParams& params);

// Figures over a result, for the report and the tests.
struct StormSummary {
  int64_t max_arrivals_per_s = 0;
  int64_t max_arrivals_second = 0;
  int64_t max_admitted_per_s = 0;
  int64_t seconds_over_capacity = 0;  // arrivals above capacity_per_s
  int64_t arrivals = 0, admitted = 0, refused = 0;
  int64_t busy_seconds = 0;         // from the first arrival to the last admission
  int64_t seconds_at_capacity = 0;  // admitted == capacity_per_s
  int64_t done = 0;
  // Completion, s after the request: p50, p90, p99, max (of those done).
  double p50_s = 0, p90_s = 0, p99_s = 0, max_s = 0;
  int64_t deadline_ms = 0;           // not_before + 1.1 x spread
  double fraction_by_deadline = 0;   // of all devices
};
StormSummary Summarize(const StormParams& params, const StormResult& result);

}  // namespace holdfast::tools
