// When the agent tries again and when it looks next: exponential backoff with
// full jitter, the server's Retry-After obeyed, intervals spread with jitter
// so that a fleet of devices does not move in step, the retries inside one
// run, and the next run after one that reached the server. Pure functions of
// their inputs and the random source: agent_loop.cc decides with them, and
// the fleet simulation (tools/sim, docs/fleet.md) runs this same code.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>

namespace holdfast::agent {

struct RemoteOptions;  // agent/sync/remote_client.h: include it to call RunRemoteOptions

// The wait after the `failures`-th failure in a row (1 for the first):
// drawn uniformly from [0, min(max_ms, min_ms * 2^(failures-1))] ("full
// jitter"), but never shorter than `retry_after_ms` when the server gave one,
// nor than a floor of min_ms / 10 (no instant retry storm). Never above
// max(max_ms, retry_after_ms).
int64_t FailureBackoffMs(int failures, int64_t min_ms, int64_t max_ms, std::optional<int64_t> retry_after_ms,
                         std::mt19937_64& rng);

// An interval with +-25% jitter: uniformly from [0.75, 1.25] x interval_ms.
int64_t JitteredIntervalMs(int64_t interval_ms, std::mt19937_64& rng);

// The longest interval JitteredIntervalMs draws: 1.25 x interval_ms.
constexpr int64_t LongestJitteredIntervalMs(int64_t interval_ms) { return interval_ms + interval_ms / 4; }

// The retry policy of the agent's own runs (RemoteClient, RetryingHttp):
// at most 3 attempts per request and an in-run backoff capped at 4 s, the
// rest as RemoteOptions' defaults. Fewer and shorter than a command's: the
// agent has FailureBackoffMs between runs, and a server that is down should
// cost a few seconds per run, not half a minute.
RemoteOptions RunRemoteOptions();

// What a run that reached the server (a check, and a push or recovery) found
// that bears on the next run.
struct ReachedRun {
  bool recovery_unverified = false;  // a recovery ran and its read-back still differs
  int64_t slot_wall_ms = 0;          // an operator's re-upload waits for this device's slot (0: none)
};

// The wait until the next run after a run that reached the server: the next
// check (JitteredIntervalMs(check_interval_ms)), sooner retry_min_ms when a
// recovery is not verified yet, and at most until the re-upload slot (a slot
// already passed: at once). `now_wall_ms` is the wall clock the slot is in.
// Draws one number from `rng`.
int64_t NextRunDelayMs(int64_t check_interval_ms, int64_t retry_min_ms, const ReachedRun& run, int64_t now_wall_ms,
                       std::mt19937_64& rng);

// How long after an operator's re-upload request its window should open
// (not_before - requested_at) for devices with these settings: by then
// every device has looked at the server at least once, whether it was
// checking (at most 1.25 x check_interval apart) or backing off after an
// outage (at most retry_max apart), so each uploads at its slot and the
// window's load is the slots' alone (docs/fleet.md). 75 min with the
// defaults (check_interval_s 3600, retry_max_s 3600).
constexpr int64_t ReuploadLeadMs(int64_t check_interval_ms, int64_t retry_max_ms) {
  return std::max(LongestJitteredIntervalMs(check_interval_ms), retry_max_ms);
}

}  // namespace holdfast::agent
