// The agent's retry waits: full jitter within the doubling ceiling, the
// server's Retry-After obeyed, the cap, and check intervals spread.
#include "agent/daemon/backoff.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "agent/config.h"
#include "agent/sync/remote_client.h"
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
  CHECK(*high <= LongestJitteredIntervalMs(3600000));
}

TEST_CASE("the agent's runs make at most 3 attempts per request, backing off at most 4 s inside a run") {
  const RemoteOptions run = RunRemoteOptions();
  CHECK(run.max_attempts == 3);
  CHECK(run.backoff_cap_ms == 4000);
  CHECK(run.backoff_base_ms == RemoteOptions().backoff_base_ms);
  // Drawn for each retry: never above the cap without a Retry-After.
  std::mt19937_64 rng(5);
  platform::HttpResponse refused;
  refused.status = 503;
  for (int attempt = 0; attempt + 1 < run.max_attempts; ++attempt) {
    for (int i = 0; i < 200; ++i) CHECK(*RetryDelayMs(run, attempt, refused, rng) <= 4000);
  }
}

TEST_CASE("after a run that reached the server the next comes at the next check, sooner at the re-upload slot") {
  const int64_t check_ms = 3600000, retry_min_ms = 15000, now_ms = 1'800'000'000'000;
  std::mt19937_64 rng(9);
  for (int i = 0; i < 500; ++i) {
    // Nothing pending: a jittered check.
    const int64_t plain = NextRunDelayMs(check_ms, retry_min_ms, ReachedRun{}, now_ms, rng);
    CHECK(plain >= check_ms * 3 / 4);
    CHECK(plain <= LongestJitteredIntervalMs(check_ms));
    // A slot before the next check: exactly at the slot.
    CHECK(NextRunDelayMs(check_ms, retry_min_ms, ReachedRun{false, now_ms + 600000}, now_ms, rng) == 600000);
    // A slot after any check: the check comes first, and looks again.
    const int64_t far = NextRunDelayMs(check_ms, retry_min_ms, ReachedRun{false, now_ms + 2 * check_ms}, now_ms, rng);
    CHECK(far <= LongestJitteredIntervalMs(check_ms));
    // A slot already passed (a clock that moved): at once.
    CHECK(NextRunDelayMs(check_ms, retry_min_ms, ReachedRun{false, now_ms - 5000}, now_ms, rng) == 0);
    // A recovery not verified goes on after retry_min.
    CHECK(NextRunDelayMs(check_ms, retry_min_ms, ReachedRun{true, 0}, now_ms, rng) == retry_min_ms);
  }
}

TEST_CASE("a re-upload window opens after every device has looked: 75 min with the agent's defaults") {
  const AgentSettings defaults;
  CHECK(ReuploadLeadMs(defaults.check_interval_s * 1000, defaults.retry_max_s * 1000) == 75 * 60 * 1000);
  // The longer of the longest jittered check and the longest backoff.
  CHECK(ReuploadLeadMs(600000, 3600000) == 3600000);
  CHECK(ReuploadLeadMs(7200000, 3600000) == 9000000);
  // No jittered check is longer than the lead: a device checking when the
  // request is posted has looked again by the time the window opens.
  std::mt19937_64 rng(11);
  for (int i = 0; i < 2000; ++i) {
    CHECK(JitteredIntervalMs(defaults.check_interval_s * 1000, rng) <=
          ReuploadLeadMs(defaults.check_interval_s * 1000, defaults.retry_max_s * 1000));
    CHECK(FailureBackoffMs(40, defaults.retry_min_s * 1000, defaults.retry_max_s * 1000, std::nullopt, rng) <=
          ReuploadLeadMs(defaults.check_interval_s * 1000, defaults.retry_max_s * 1000));
  }
}

}  // namespace
}  // namespace holdfast::agent
