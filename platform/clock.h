// Time: the wall clock (ms since the Unix epoch) and its text form, a
// monotonic clock for durations, and the Clock seam through which agent code
// that reads the time or waits gets it (the system clock is chosen in main();
// tests pass a clock they set). Pure functions and the system clock are
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "platform/status.h"

namespace holdfast::platform {

// Current UTC time in ms since 1970-01-01T00:00:00Z.
int64_t NowMs();

// Milliseconds on a monotonic clock (std::chrono::steady_clock): only
// differences mean anything. Never goes back when the wall clock is set.
int64_t SteadyMs();

// The time as agent code sees it. An implementation other than the system's
// (a test's) may jump and need not sleep at all.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, as NowMs().
  virtual int64_t NowMs() const = 0;
  // Monotonic time for durations, as SteadyMs().
  virtual int64_t SteadyMs() const = 0;
  // Returns once `duration_ms` has passed on this clock (at once for <= 0).
  virtual void SleepMs(int64_t duration_ms) const = 0;
};

// The real clocks and a real sleep. Lives for the whole program.
const Clock& SystemClock();

// "2026-11-25T09:56:44Z" (seconds precision, UTC).
std::string FormatUtc(int64_t time_ms);

// Parses a point in time given by a user: "2026-11-25", "2026-11-25T09:56",
// "2026-11-25T09:56:44", with 'T' or a space, optionally followed by "Z" or
// an offset "+01:00" / "-0500"; without one the time is UTC. "@SECONDS" is a
// Unix time. A time means the end of what it names, so that "--as-of" includes
// everything captured within it: a date alone is 23:59:59.999 UTC of that day,
// "09:56" is 09:56:59.999, "09:56:44" is 09:56:44.999.
// Errors: kInvalidArgument naming the text and the accepted forms.
Result<int64_t> ParseTime(std::string_view text);

}  // namespace holdfast::platform
