#include "platform/clock.h"

#include <chrono>
#include <ctime>
#include <thread>

namespace holdfast::platform {

int64_t NowMs() {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  using std::chrono::system_clock;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t SteadyMs() {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  using std::chrono::steady_clock;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

namespace {

class RealClock final : public Clock {
 public:
  int64_t NowMs() const override { return platform::NowMs(); }
  int64_t SteadyMs() const override { return platform::SteadyMs(); }
  void SleepMs(int64_t duration_ms) const override {
    if (duration_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(duration_ms));
  }
};

}  // namespace

const Clock& SystemClock() {
  static const RealClock clock;
  return clock;
}

std::string FormatUtc(int64_t time_ms) {
  std::time_t seconds = static_cast<std::time_t>(time_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

}  // namespace holdfast::platform

namespace holdfast::platform {
namespace {

// Reads exactly `digits` decimal digits at text[*pos].
bool ReadNumber(std::string_view text, size_t* pos, int digits, int* value) {
  if (*pos + static_cast<size_t>(digits) > text.size()) return false;
  int v = 0;
  for (int i = 0; i < digits; ++i) {
    char c = text[*pos + static_cast<size_t>(i)];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += static_cast<size_t>(digits);
  *value = v;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos < text.size() && text[*pos] == c) {
    ++*pos;
    return true;
  }
  return false;
}

// Days from 1970-01-01 to a civil date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

Result<int64_t> ParseTime(std::string_view text) {
  const Status bad(ErrorCode::kInvalidArgument,
                   "\"" + std::string(text) +
                       "\" is not a time: use 2026-11-25, 2026-11-25T09:56[:44][Z|+01:00] or @UNIX_SECONDS");
  if (!text.empty() && text[0] == '@') {
    if (text.size() < 2 || text.size() > 13) return bad;
    int64_t seconds = 0;
    for (char c : text.substr(1)) {
      if (c < '0' || c > '9') return bad;
      seconds = seconds * 10 + (c - '0');
    }
    return seconds * 1000;
  }
  size_t pos = 0;
  int year = 0, month = 0, day = 0;
  if (!ReadNumber(text, &pos, 4, &year) || !Expect(text, &pos, '-') || !ReadNumber(text, &pos, 2, &month) ||
      !Expect(text, &pos, '-') || !ReadNumber(text, &pos, 2, &day)) {
    return bad;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return bad;
  const int64_t day_ms = DaysFromCivil(year, month, day) * 86400000;
  if (pos == text.size()) return day_ms + 86400000 - 1;
  if (!Expect(text, &pos, 'T') && !Expect(text, &pos, ' ')) return bad;
  int hour = 0, minute = 0, second = 0;
  if (!ReadNumber(text, &pos, 2, &hour) || !Expect(text, &pos, ':') || !ReadNumber(text, &pos, 2, &minute)) {
    return bad;
  }
  bool has_seconds = false;
  if (Expect(text, &pos, ':')) {
    if (!ReadNumber(text, &pos, 2, &second)) return bad;
    has_seconds = true;
  }
  if (hour > 23 || minute > 59 || second > 60) return bad;
  int64_t offset_minutes = 0;
  if (Expect(text, &pos, 'Z')) {
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!ReadNumber(text, &pos, 2, &oh)) return bad;
    Expect(text, &pos, ':');
    if (!ReadNumber(text, &pos, 2, &om) || oh > 23 || om > 59) return bad;
    offset_minutes = sign * (oh * 60 + om);
  }
  if (pos != text.size()) return bad;
  const int64_t end_of_unit_ms = has_seconds ? 999 : 59'999;
  return day_ms + ((hour * 60 + minute - offset_minutes) * 60 + second) * int64_t{1000} + end_of_unit_ms;
}

}  // namespace holdfast::platform
