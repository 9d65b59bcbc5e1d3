// Time as users type it (--as-of) and as Holdfast prints it: the accepted
// forms, what each means in UTC milliseconds, and the texts refused.
#include "platform/clock.h"

#include <doctest/doctest.h>

#include <string>

namespace holdfast::platform {
namespace {

// 2026-11-25T00:00:00Z in ms since the epoch.
constexpr int64_t kDay = 1795564800000;
constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;

int64_t ParseOk(std::string_view text) {
  Result<int64_t> time = ParseTime(text);
  REQUIRE_MESSAGE(time.has_value(), time.error().ToString());
  return *time;
}

TEST_CASE("FormatUtc prints seconds precision in UTC with a Z") {
  CHECK(FormatUtc(0) == "1970-01-01T00:00:00Z");
  CHECK(FormatUtc(kDay) == "2026-11-25T00:00:00Z");
  CHECK(FormatUtc(kDay + 9 * kHour + 56 * kMinute + 44 * 1000 + 999) == "2026-11-25T09:56:44Z");
  CHECK(FormatUtc(1700000000000) == "2023-11-14T22:13:20Z");
  CHECK(FormatUtc(951782400000) == "2000-02-29T00:00:00Z");  // a leap day
}

TEST_CASE("NowMs is a time after this test was written and agrees with FormatUtc") {
  const int64_t now = NowMs();
  CHECK(now > 1700000000000);
  CHECK(FormatUtc(now).size() == std::string("2026-11-25T09:56:44Z").size());
}

TEST_CASE("ParseTime of a date alone means the last millisecond of that day in UTC") {
  CHECK(ParseOk("2026-11-25") == kDay + 24 * kHour - 1);
  CHECK(FormatUtc(ParseOk("2026-11-25")) == "2026-11-25T23:59:59Z");
  CHECK(ParseOk("1970-01-01") == 24 * kHour - 1);
  CHECK(ParseOk("2024-02-29") == ParseOk("2024-03-01") - 24 * kHour);  // a leap day
  CHECK(ParseOk("2000-02-29") == 951868799999);
}

TEST_CASE("ParseTime of a date and time without a zone is UTC, to the minute or the second") {
  const int64_t t0956 = kDay + 9 * kHour + 56 * kMinute;
  CHECK(FormatUtc(ParseOk("2026-11-25T09:56Z")) == "2026-11-25T09:56:59Z");
  CHECK(FormatUtc(ParseOk("2026-11-25T09:56")) == "2026-11-25T09:56:59Z");
  CHECK(FormatUtc(ParseOk("2026-11-25 09:56:44")) == "2026-11-25T09:56:44Z");
  CHECK(FormatUtc(ParseOk("2026-11-25T09:56:44Z")) == "2026-11-25T09:56:44Z");
  // 'T' or a space, with or without Z: the same instant.
  CHECK(ParseOk("2026-11-25T09:56Z") == ParseOk("2026-11-25 09:56"));
  CHECK(ParseOk("2026-11-25 09:56:44") == ParseOk("2026-11-25T09:56:44Z"));
  // The instant is within the minute or second written.
  CHECK(ParseOk("2026-11-25T09:56Z") >= t0956);
  CHECK(ParseOk("2026-11-25T09:56Z") < t0956 + kMinute);
  CHECK(ParseOk("2026-11-25 09:56:44") >= t0956 + 44000);
  CHECK(ParseOk("2026-11-25 09:56:44") < t0956 + 45000);
  CHECK(ParseOk("2026-11-25T00:00") < ParseOk("2026-11-25T00:01"));
  CHECK(ParseOk("2026-11-25T23:59:59") <= ParseOk("2026-11-25"));
}

TEST_CASE("ParseTime applies an offset given as +01:00 or -0500") {
  CHECK(FormatUtc(ParseOk("2026-11-25T09:56+01:00")) == "2026-11-25T08:56:59Z");
  CHECK(FormatUtc(ParseOk("2026-11-25T09:56:44-0500")) == "2026-11-25T14:56:44Z");
  CHECK(FormatUtc(ParseOk("2026-11-25 01:30+05:45")) == "2026-11-24T19:45:59Z");  // back over midnight
  CHECK(FormatUtc(ParseOk("2026-11-25T22:00-03:00")) == "2026-11-26T01:00:59Z");  // forward over midnight
  CHECK(ParseOk("2026-11-25T09:56+01:00") == ParseOk("2026-11-25T08:56Z"));
  CHECK(ParseOk("2026-11-25T09:56:44-0500") == ParseOk("2026-11-25T14:56:44Z"));
  CHECK(ParseOk("2026-11-25T09:56+00:00") == ParseOk("2026-11-25T09:56Z"));
}

TEST_CASE("ParseTime of @SECONDS is that Unix time") {
  CHECK(ParseOk("@1700000000") == 1700000000000);
  CHECK(ParseOk("@0") == 0);
  CHECK(FormatUtc(ParseOk("@1700000000")) == "2023-11-14T22:13:20Z");
}

TEST_CASE("ParseTime refuses impossible dates, other date orders and malformed times, naming the text") {
  for (std::string_view bad : {"2026-02-30",
                               "2025-02-29",
                               "2026-04-31",
                               "2026-13-01",
                               "2026-00-10",
                               "2026-11-00",
                               "25/11/2026",
                               "11/25/2026",
                               "",
                               " ",
                               "2026-11-25T25:00",
                               "2026-11-25T24:00",
                               "2026-11-25T09:60",
                               "2026-11-25T09",
                               "2026-11-25T09:56:",
                               "2026-11-25T9:56",
                               "2026-11-25X09:56",
                               "2026-11-25 ",
                               "2026-11-25T09:56+1",
                               "2026-11-25T09:56+01",
                               "2026-11-25T09:56+25:00",
                               "2026-11-25T09:56Zjunk",
                               "2026-1-25",
                               "26-11-25",
                               "@",
                               "@-5",
                               "@12x",
                               "@ 1700000000",
                               "yesterday",
                               "2026-11-25Z"}) {
    CAPTURE(std::string(bad));
    Result<int64_t> time = ParseTime(bad);
    REQUIRE_FALSE(time.has_value());
    CHECK(time.error().code() == ErrorCode::kInvalidArgument);
    CHECK(time.error().message().find("\"" + std::string(bad) + "\"") != std::string::npos);
    CHECK(time.error().message().find("2026-11-25") != std::string::npos);  // the accepted forms
  }
}

}  // namespace
}  // namespace holdfast::platform
