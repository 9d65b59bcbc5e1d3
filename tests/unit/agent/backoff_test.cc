// The agent's retry waits: full jitter within the doubling ceiling, the
// server's Retry-After obeyed, the cap, and check intervals spread.
#include "agent/daemon/backoff.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "agent/sync/retrying_http.h"

namespace holdfast::agent {
namespace {

TEST_CASE("the wait after n failures is drawn over [floor, min(max, min * 2^(n-1))] and covers that range") {
  std::mt19937_64 rng(42);
  for (int failures : {1, 2, 3, 5, 8, 30, 1000}) {
    CAPTURE(failures);
    const int64_t ceiling = std::min<int64_t>(3600000, int64_t{15000} << std::min(failures - 1, 20));
    std::vector<int64_t> waits;
    for (int i = 0; i < 2000; ++i) waits.push_back(FailureBackoffMs(failures, 15000, 3600000, std::nullopt, rng));
    const auto [low, high] = std::minmax_element(waits.begin(), waits.end());
    CHECK(*low >= 1500);  // the floor: min / 10
    CHECK(*high <= ceiling);
    // Full jitter: the draws spread over the range, not bunched at its top.
    CHECK(*low < ceiling / 4 + 1500);
    CHECK(*high > ceiling * 3 / 4);
  }
}

TEST_CASE("a Retry-After longer than the drawn wait, even beyond the cap, is obeyed") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    CHECK(FailureBackoffMs(1, 1000, 60000, int64_t{7200000}, rng) == 7200000);
    CHECK(FailureBackoffMs(3, 1000, 60000, int64_t{500}, rng) >= 500);
  }
}

TEST_CASE("a server's Retry-After in seconds becomes ms without overflow, at most a week") {
  CHECK(RetryAfterMsOf(45) == 45000);
  CHECK(RetryAfterMsOf(0) == 0);
  CHECK(RetryAfterMsOf(-5) == 0);
  CHECK(RetryAfterMsOf(int64_t{7} * 24 * 3600) == kLongestRetryAfterMs);
  CHECK(RetryAfterMsOf(INT64_MAX) == kLongestRetryAfterMs);  // was an overflow (UBSan, progress_test)
  std::mt19937_64 rng(3);
  CHECK(FailureBackoffMs(1, 1000, 60000, RetryAfterMsOf(INT64_MAX), rng) == kLongestRetryAfterMs);
}

TEST_CASE("check intervals are spread over +-25% so that devices drift apart") {
  std::mt19937_64 rng(1);
  std::vector<int64_t> intervals;
  for (int i = 0; i < 2000; ++i) intervals.push_back(JitteredIntervalMs(3600000, rng));
  const auto [low, high] = std::minmax_element(intervals.begin(), intervals.end());
  CHECK(*low >= 2700000);
  CHECK(*high <= 4500000);
  CHECK(*low < 2800000);
  CHECK(*high > 4400000);
}

}  // namespace
}  // namespace holdfast::agent
