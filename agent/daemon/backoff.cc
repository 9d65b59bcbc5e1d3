#include "agent/daemon/backoff.h"

#include <algorithm>

#include "agent/sync/remote_client.h"

namespace holdfast::agent {

int64_t FailureBackoffMs(int failures, int64_t min_ms, int64_t max_ms, std::optional<int64_t> retry_after_ms,
                         std::mt19937_64& rng) {
  const int doublings = std::clamp(failures - 1, 0, 40);
  // min_ms << doublings can overflow for large counts: cap before shifting.
  int64_t ceiling = min_ms;
  for (int i = 0; i < doublings && ceiling < max_ms; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_ms);
  int64_t wait = std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(ceiling, 0))(rng);
  wait = std::max(wait, min_ms / 10);
  if (retry_after_ms) wait = std::max(wait, *retry_after_ms);
  return wait;
}

int64_t JitteredIntervalMs(int64_t interval_ms, std::mt19937_64& rng) {
  const int64_t quarter = interval_ms / 4;
  return interval_ms - quarter + std::uniform_int_distribution<int64_t>(0, 2 * quarter)(rng);
}

RemoteOptions RunRemoteOptions() {
  RemoteOptions options;
  options.max_attempts = 3;
  options.backoff_cap_ms = 4000;
  return options;
}

int64_t NextRunDelayMs(int64_t check_interval_ms, int64_t retry_min_ms, const ReachedRun& run, int64_t now_wall_ms,
                       std::mt19937_64& rng) {
  int64_t next = JitteredIntervalMs(check_interval_ms, rng);
  if (run.recovery_unverified) next = std::min(next, retry_min_ms);
  // The slot is wall-clock time: a device that checked before it comes back
  // at it, whatever its check interval.
  if (run.slot_wall_ms > 0) next = std::min(next, std::max<int64_t>(run.slot_wall_ms - now_wall_ms, 0));
  return next;
}

}  // namespace holdfast::agent
