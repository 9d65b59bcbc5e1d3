// "The same item" after a server's rewrite (content_compare.h): what Radicale
// and Xandikos were measured to change is no difference; anything else is.
#include "platform/dav/content_compare.h"

#include <doctest/doctest.h>

namespace holdfast::platform::dav {
namespace {

const char* kSent =
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:Ann\r\nTEL;TYPE=CELL;TYPE=pref:+491\r\n"
    "NOTE:one\\; two, three and a line long enough to fold at seventy-five octets here\r\n"
    "PHOTO:data:image/jpeg;base64,AAAA\r\nEND:VCARD\r\n";

TEST_CASE("a re-serialised card (reordered, refolded, re-escaped, LF, PRODID added) is the same item") {
  const char* rewritten =
      "BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nPRODID:-//server//EN\nUID:a\n"
      "NOTE:one; two\\, three and a line long enough to fold at seventy-five \n octets here\n"
      "tel;type=pref;TYPE=CELL:+491\nPHOTO:data:image/jpeg;base64,AAAA\nEND:VCARD\n";
  CHECK(SameCard(kSent, rewritten));
}

TEST_CASE("a changed value, a lost property or a cut photo is a different item") {
  std::string changed = kSent;
  changed.replace(changed.find("Ann"), 3, "Anne");
  CHECK_FALSE(SameCard(kSent, changed));
  std::string lost = kSent;
  lost.erase(lost.find("FN:Ann\r\n"), 8);
  CHECK_FALSE(SameCard(kSent, lost));
  std::string cut = kSent;
  cut.replace(cut.find("data:image/jpeg;base64,AAAA"), 27, "data:image/jpeg\\;base64");
  CHECK_FALSE(SameCard(kSent, cut));
}

TEST_CASE("RRULE parts in another order and sub-components reordered are the same event") {
  const char* a =
      "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:X\r\nBEGIN:STANDARD\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
      "BEGIN:DAYLIGHT\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:e\r\n"
      "RRULE:FREQ=YEARLY;BYMONTH=1;BYDAY=2TU\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  const char* b =
      "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nRRULE:FREQ=YEARLY;BYDAY=2TU;BYMONTH=1\r\nUID:e\r\nEND:VEVENT\r\n"
      "BEGIN:VTIMEZONE\r\nBEGIN:DAYLIGHT\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nTZID:X\r\nBEGIN:STANDARD\r\n"
      "TZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n";
  CHECK(SameCard(a, b));
  std::string other = b;
  other.replace(other.find("BYDAY=2TU"), 9, "BYDAY=3TU");
  CHECK_FALSE(SameCard(a, other));
}

// Radicale 3.1.8 and Xandikos 0.2.8 both answer a GET of an event sent with
// "TRIGGER:-PT60M" with "TRIGGER:-PT1H" (measured: tools/bench/dav_bench.sh).
TEST_CASE("an alarm trigger or duration written in other units is the same event; another length is not") {
  auto event = [](const std::string& lines) {
    return "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:e\r\n" + lines +
           "BEGIN:VALARM\r\nACTION:DISPLAY\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  };
  const std::string sent = event("DURATION:PT90M\r\nBEGIN:VALARM\r\nTRIGGER:-PT60M\r\nEND:VALARM\r\n");
  CHECK(SameCard(sent, event("DURATION:PT1H30M\r\nBEGIN:VALARM\r\nTRIGGER:-PT1H\r\nEND:VALARM\r\n")));
  CHECK(SameCard(sent, event("DURATION:+PT5400S\r\nBEGIN:VALARM\r\nTRIGGER:-PT3600S\r\nEND:VALARM\r\n")));
  CHECK_FALSE(SameCard(sent, event("DURATION:PT90M\r\nBEGIN:VALARM\r\nTRIGGER:-PT2H\r\nEND:VALARM\r\n")));
  CHECK_FALSE(SameCard(sent, event("DURATION:PT90M\r\nBEGIN:VALARM\r\nTRIGGER:PT1H\r\nEND:VALARM\r\n")));
  CHECK(SameCard(event("BEGIN:VALARM\r\nTRIGGER:-P1W\r\nEND:VALARM\r\n"),
                 event("BEGIN:VALARM\r\nTRIGGER:-P7D\r\nEND:VALARM\r\n")));
  // Not a duration: compared as text.
  CHECK_FALSE(SameCard(event("BEGIN:VALARM\r\nTRIGGER;VALUE=DATE-TIME:20240101T090000Z\r\nEND:VALARM\r\n"),
                       event("BEGIN:VALARM\r\nTRIGGER;VALUE=DATE-TIME:20240101T100000Z\r\nEND:VALARM\r\n")));
}

}  // namespace
}  // namespace holdfast::platform::dav
