#include "platform/stop_request.h"

#include <time.h>

#include <algorithm>
#include <atomic>

#include "platform/clock.h"

namespace holdfast::platform {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "RequestStop must be async-signal-safe");

// How often a sleep looks at the request: the bound on how late a stop is seen.
constexpr int64_t kSleepSliceMs = 50;

}  // namespace

void RequestStop() { g_stop.store(true, std::memory_order_relaxed); }

bool StopRequested() { return g_stop.load(std::memory_order_relaxed); }

void ClearStopRequest() { g_stop.store(false, std::memory_order_relaxed); }

Status StoppedStatus(const char* what) {
  return Status(ErrorCode::kCancelled, std::string(what) + ": stopped on request; the next run goes on");
}

bool SleepUnlessStopped(int64_t duration_ms) {
  const int64_t end = SteadyMs() + duration_ms;
  for (int64_t left = duration_ms; left > 0; left = end - SteadyMs()) {
    if (StopRequested()) return false;
    const int64_t slice = std::min(left, kSleepSliceMs);
    struct timespec ts {static_cast<time_t>(slice / 1000), static_cast<long>((slice % 1000) * 1000000L)};
    nanosleep(&ts, nullptr);
  }
  return !StopRequested();
}

}  // namespace holdfast::platform
