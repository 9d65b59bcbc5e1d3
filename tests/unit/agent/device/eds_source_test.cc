// Which EDS revisions capture may trust to change with the next write.
#include "agent/device/eds_source.h"

#include <doctest/doctest.h>
#include <time.h>

namespace holdfast::agent {
namespace {

int64_t Epoch(const char* text) {
  struct tm parts {};
  REQUIRE(strptime(text, "%Y-%m-%dT%H:%M:%S", &parts) != nullptr);
  return static_cast<int64_t>(timegm(&parts));
}

TEST_CASE("an EDS revision is trusted only once its second is over, whatever its counter") {
  const int64_t t = Epoch("2026-12-02T13:08:06");
  // The address book's form, to the second, and the calendar's, finer.
  CHECK_FALSE(EdsRevisionSettled("2026-12-02T13:08:06Z(1)", t));
  CHECK_FALSE(EdsRevisionSettled("2026-12-02T13:08:06Z(1)", t + 1));
  CHECK(EdsRevisionSettled("2026-12-02T13:08:06Z(1)", t + 2));
  CHECK(EdsRevisionSettled("2026-12-02T13:08:06Z(0)", t + 3600));
  CHECK_FALSE(EdsRevisionSettled("2026-12-02T13:08:06.571490Z(3)", t));
  CHECK(EdsRevisionSettled("2026-12-02T13:08:06.571490Z(3)", t + 2));
  // A revision from the future (a clock set back) is not trusted either.
  CHECK_FALSE(EdsRevisionSettled("2026-12-02T13:08:06Z(1)", t - 100));
  // A backend whose revision is not a time (or none): always read.
  CHECK_FALSE(EdsRevisionSettled("", t));
  CHECK_FALSE(EdsRevisionSettled("42", t));
}

TEST_CASE("the revision stamp differs per collection and per revision and is never the re-read marker") {
  const platform::eds::EdsCollection book{platform::eds::EdsKind::kAddressBook, "system-address-book", "", "local"};
  const platform::eds::EdsCollection cal{platform::eds::EdsKind::kCalendar, "system-address-book", "", "local"};
  CHECK(EdsRevisionStamp(book, "r1") == EdsRevisionStamp(book, "r1"));
  CHECK(EdsRevisionStamp(book, "r1") != EdsRevisionStamp(book, "r2"));
  CHECK(EdsRevisionStamp(book, "r1") != EdsRevisionStamp(cal, "r1"));
  CHECK(EdsRevisionStamp(book, "r1") >= 0);
  CHECK(EdsCachePath(book) == "address-book/system-address-book");
}

}  // namespace
}  // namespace holdfast::agent
