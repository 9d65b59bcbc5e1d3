// When the agent tries again: exponential backoff with full jitter, the
// server's Retry-After obeyed, and intervals spread with jitter so that a
// fleet of devices does not move in step. Pure functions of their inputs and
// the random source: the fleet simulation (issue 17) runs this same code.
#pragma once

#include <cstdint>
#include <optional>
#include <random>

namespace holdfast::agent {

// The wait after the `failures`-th failure in a row (1 for the first):
// drawn uniformly from [0, min(max_ms, min_ms * 2^(failures-1))] ("full
// jitter"), but never shorter than `retry_after_ms` when the server gave one,
// nor than a floor of min_ms / 10 (no instant retry storm). Never above
// max(max_ms, retry_after_ms).
int64_t FailureBackoffMs(int failures, int64_t min_ms, int64_t max_ms, std::optional<int64_t> retry_after_ms,
                         std::mt19937_64& rng);

// An interval with +-25% jitter: uniformly from [0.75, 1.25] x interval_ms.
int64_t JitteredIntervalMs(int64_t interval_ms, std::mt19937_64& rng);

}  // namespace holdfast::agent
