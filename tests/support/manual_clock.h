// A platform::Clock that tests set: the wall clock stands where the test
// puts it, and a sleep moves both clocks forward at once instead of waiting.
#pragma once

#include <cstdint>

#include "platform/clock.h"

namespace holdfast::testing {

class ManualClock final : public platform::Clock {
 public:
  explicit ManualClock(int64_t now_ms) : now_ms_(now_ms) {}
  int64_t NowMs() const override { return now_ms_; }
  int64_t SteadyMs() const override { return steady_ms_; }
  void SleepMs(int64_t duration_ms) const override {
    if (duration_ms <= 0) return;
    slept_ms_ += duration_ms;
    Advance(duration_ms);
  }
  void Advance(int64_t duration_ms) const {
    now_ms_ += duration_ms;
    steady_ms_ += duration_ms;
  }
  int64_t slept_ms() const { return slept_ms_; }

 private:
  mutable int64_t now_ms_;
  mutable int64_t steady_ms_ = 0;
  mutable int64_t slept_ms_ = 0;
};

}  // namespace holdfast::testing
