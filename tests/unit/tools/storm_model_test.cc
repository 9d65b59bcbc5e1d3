// The re-upload storm model (tools/sim/storm_model.h): what docs/fleet.md
// claims of every run holds on a small fleet, and the baseline without jitter
// does overload the server (the negative control: a model that could not
// show an overload would prove nothing about the agent).
#include "tools/sim/storm_model.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>

#include "agent/daemon/backoff.h"

namespace holdfast::tools {
namespace {

// docs/fleet.md's scenario at 1/100 of the fleet: the same mean load
// against capacity (10,000 devices over 1 h is 2.8 uploads/s against 4).
StormParams SmallFleet(Fleet fleet) {
  StormParams p;
  p.fleet = fleet;
  p.devices = 10'000;
  p.seed = 7;
  p.capacity_per_s = 4;
  return p;
}

int64_t Sum(const std::vector<int64_t>& v) { return std::accumulate(v.begin(), v.end(), int64_t{0}); }

void CheckInvariants(const StormParams& p, const StormResult& r) {
  // Every device re-uploaded exactly once: one admission each, each verified.
  CHECK(std::count(r.done_ms.begin(), r.done_ms.end(), -1) == 0);
  CHECK(Sum(r.admitted) == p.devices);
  // Every upload request that reached the server was admitted or refused.
  CHECK(Sum(r.arrivals) == Sum(r.admitted) + Sum(r.refused));
  for (size_t i = 0; i < r.arrivals.size(); ++i) {
    CAPTURE(i);
    REQUIRE(r.arrivals[i] == r.admitted[i] + r.refused[i]);
    // The server model's own admissions never pass its capacity.
    REQUIRE(r.admitted[i] <= p.capacity_per_s);
  }
  // A device is done only after an upload: at least half of upload_s after the request.
  CHECK(*std::min_element(r.done_ms.begin(), r.done_ms.end()) >= p.upload_s * 500);
}

TEST_CASE("the agent's fleet: every device done, arrivals add up, admissions never above capacity") {
  const StormParams p = SmallFleet(Fleet::kAgent);
  Result<StormResult> r = RunStorm(p);
  REQUIRE(r);
  CheckInvariants(p, *r);
  // The agent waits for its slot: nothing arrives before the window opens,
  // and the slots spread the fleet over the whole window.
  const StormSummary s = Summarize(p, *r);
  CHECK(s.max_arrivals_second < p.spread_s + p.check_interval_s * 5 / 4);
  const int64_t first_half = std::accumulate(r->arrivals.begin(), r->arrivals.begin() + p.spread_s / 2, int64_t{0});
  CHECK(first_half > p.devices / 10);
  CHECK(first_half < p.devices * 9 / 10);
}

TEST_CASE("request-reupload's default window opens after every device has looked: no upload before it") {
  StormParams p = SmallFleet(Fleet::kAgent);
  // The agent's own rule, as holdfast-server request-reupload applies it by default.
  p.not_before_delay_s = agent::ReuploadLeadMs(p.check_interval_s * 1000, p.retry_max_s * 1000) / 1000;
  REQUIRE(p.not_before_delay_s == p.check_interval_s * 5 / 4);
  p.capacity_per_s = 1000;                             // no 429: each device's one arrival is its slot
  Result<StormResult> r = RunStorm(p);
  REQUIRE(r);
  CheckInvariants(p, *r);
  CHECK(Sum(r->refused) == 0);
  CHECK(Sum(r->arrivals) == p.devices);
  CHECK(std::accumulate(r->arrivals.begin(), r->arrivals.begin() + p.not_before_delay_s, int64_t{0}) == 0);
  const StormSummary s = Summarize(p, *r);
  CHECK(s.fraction_by_deadline == 1.0);
  CHECK(s.max_s <= static_cast<double>(p.not_before_delay_s + p.spread_s) + p.upload_s * 1.5);
}

TEST_CASE("negative control: the baseline without jitter exceeds capacity as soon as the server is back") {
  const StormParams p = SmallFleet(Fleet::kBaseline);
  Result<StormResult> r = RunStorm(p);
  REQUIRE(r);
  CheckInvariants(p, *r);  // the server still admits no more than its capacity
  // Every device retries every 60 s through the outage: all of them arrive
  // within the first minute, some 170 a second against a capacity of 4.
  const int64_t first_minute =
      std::accumulate(r->arrivals.begin(), r->arrivals.begin() + p.baseline_retry_s, int64_t{0});
  CHECK(first_minute == p.devices);
  const StormSummary s = Summarize(p, *r);
  CHECK(s.max_arrivals_second < p.baseline_retry_s);
  CHECK(s.max_arrivals_per_s > 10 * p.capacity_per_s);
  CHECK(Sum(r->refused) > 0);
}

TEST_CASE("the same seed gives the same storm, another seed another one") {
  StormParams p = SmallFleet(Fleet::kAgent);
  p.devices = 2000;
  Result<StormResult> a = RunStorm(p);
  Result<StormResult> b = RunStorm(p);
  p.seed = 8;
  Result<StormResult> c = RunStorm(p);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(a->arrivals == b->arrivals);
  CHECK(a->done_ms == b->done_ms);
  CHECK(a->done_ms != c->done_ms);
}

TEST_CASE("parameters out of range are refused with their name") {
  StormParams p = SmallFleet(Fleet::kAgent);
  p.capacity_per_s = 0;
  Result<StormResult> r = RunStorm(p);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kInvalidArgument);
  CHECK(r.error().message().find("capacity_per_s") != std::string::npos);
  p = SmallFleet(Fleet::kAgent);
  p.retry_max_s = p.retry_min_s - 1;
  r = RunStorm(p);
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("retry_max_s") != std::string::npos);
}

}  // namespace
}  // namespace holdfast::tools
