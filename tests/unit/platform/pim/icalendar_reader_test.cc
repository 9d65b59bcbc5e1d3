// The iCalendar reader: which components become items, the standalone
// VCALENDAR each split item keeps, and every malformed file giving its path
// and line.
#include "platform/pim/icalendar_reader.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace holdfast::platform {
namespace {

constexpr std::string_view kPath = "/sdcard/Calendar/personal.ics";

const std::string kHead = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Holdfast Test//EN\r\n";
const std::string kTzBerlin =
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
const std::string kTzTokyo =
    "BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
    "TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
const std::string kEnd = "END:VCALENDAR\r\n";

std::string Component(std::string_view name, std::string_view properties) {
  return "BEGIN:" + std::string(name) + "\r\n" + std::string(properties) +
         "END:" + std::string(name) + "\r\n";
}

std::vector<PimItem> ReadOk(std::string_view bytes) {
  Result<std::vector<PimItem>> result = ReadIcalendarFile(bytes, kPath);
  REQUIRE_MESSAGE(result.has_value(), result.error().ToString());
  return std::move(result).value();
}

std::string ReadError(std::string_view bytes) {
  Result<std::vector<PimItem>> result = ReadIcalendarFile(bytes, kPath);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code() == ErrorCode::kMalformedInput);
  return result.error().message();
}

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

size_t Count(const std::string& text, std::string_view what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

// --- One item ---------------------------------------------------------------

TEST_CASE("a file with one VEVENT is one event item whose raw is the whole file") {
  std::string file = kHead + kTzBerlin +
                     Component("VEVENT",
                               "UID:ev-1@example.org\r\n"
                               "DTSTART;TZID=Europe/Berlin:20240105T120000\r\n"
                               "SUMMARY:Lunch\\, with \"Bob\"\\; maybe\\nlater\r\n"
                               "LAST-MODIFIED:20240101T080000Z\r\n") +
                     kEnd + "\r\n";
  std::vector<PimItem> items = ReadOk(file);
  REQUIRE(items.size() == 1);
  CHECK(items[0].kind == PimKind::kEvent);
  CHECK(items[0].uid == "ev-1@example.org");
  CHECK(items[0].summary == "Lunch, with \"Bob\"; maybe\nlater");
  CHECK(items[0].revision == "20240101T080000Z");
  CHECK(items[0].raw == file);
  CHECK(items[0].first_line == 12);
}

TEST_CASE("a VTODO is a task and a VJOURNAL is a note") {
  std::vector<PimItem> task =
      ReadOk(kHead + Component("VTODO", "UID:t\r\nSUMMARY:Buy milk\r\n") + kEnd);
  REQUIRE(task.size() == 1);
  CHECK(task[0].kind == PimKind::kTask);
  CHECK(task[0].summary == "Buy milk");
  std::vector<PimItem> note =
      ReadOk(kHead + Component("VJOURNAL", "UID:j\r\nSUMMARY:Diary\r\n") + kEnd);
  REQUIRE(note.size() == 1);
  CHECK(note[0].kind == PimKind::kNote);
  CHECK(note[0].uid == "j");
}

TEST_CASE("a component without UID gives an item with an empty uid") {
  std::vector<PimItem> items = ReadOk(kHead + Component("VEVENT", "SUMMARY:No uid\r\n") + kEnd);
  REQUIRE(items.size() == 1);
  CHECK(items[0].uid.empty());
  CHECK(items[0].summary == "No uid");
  CHECK(items[0].revision.empty());
}

TEST_CASE("a calendar without events, tasks or notes gives no item and no error") {
  CHECK(ReadOk(kHead + kEnd).empty());
  CHECK(ReadOk(kHead + kTzBerlin + Component("VFREEBUSY", "UID:fb\r\n") + kEnd).empty());
}

TEST_CASE("a VALARM's UID and SUMMARY are not the event's, and the VALARM stays in raw") {
  std::string event = Component("VEVENT", "SUMMARY:Dentist\r\n" +
                                              Component("VALARM",
                                                        "UID:alarm-uid\r\nACTION:EMAIL\r\n"
                                                        "SUMMARY:Alarm text\r\n") +
                                              "UID:event-uid\r\n");
  std::string other = Component("VEVENT", "UID:other\r\n");
  std::vector<PimItem> items = ReadOk(kHead + event + other + kEnd);
  REQUIRE(items.size() == 2);
  CHECK(items[0].uid == "event-uid");
  CHECK(items[0].summary == "Dentist");
  CHECK(items[0].raw == kHead + event + kEnd);
}

// --- Splitting ----------------------------------------------------------

TEST_CASE(
    "each component of a multi-component file is a standalone VCALENDAR with every VTIMEZONE "
    "once") {
  std::string event = Component("VEVENT", "UID:e\r\nSUMMARY:Event\r\n");
  std::string todo = Component("VTODO", "UID:t\r\nSUMMARY:Task\r\n");
  std::string journal = Component("VJOURNAL", "UID:j\r\nSUMMARY:Note\r\n");
  std::string file = kHead + kTzBerlin + event + todo + kTzTokyo + journal + kEnd;
  std::vector<PimItem> items = ReadOk(file);
  REQUIRE(items.size() == 3);
  CHECK(items[0].raw == kHead + kTzBerlin + kTzTokyo + event + kEnd);
  CHECK(items[1].raw == kHead + kTzBerlin + kTzTokyo + todo + kEnd);
  CHECK(items[2].raw == kHead + kTzBerlin + kTzTokyo + journal + kEnd);
  for (const PimItem& item : items) {
    CHECK(Count(item.raw, "BEGIN:VTIMEZONE") == 2);
    CHECK(Count(item.raw, "TZID:Europe/Berlin") == 1);
    CHECK(Count(item.raw, "TZID:Asia/Tokyo") == 1);
  }
  CHECK(items[0].kind == PimKind::kEvent);
  CHECK(items[1].kind == PimKind::kTask);
  CHECK(items[2].kind == PimKind::kNote);
  CHECK(items[0].first_line == 12);
  CHECK(items[1].first_line == 16);
  CHECK(items[2].first_line == 28);
}

TEST_CASE("a recurring master and its overrides form one item in file order") {
  std::string override_block =
      Component("VEVENT",
                "UID:weekly\r\nRECURRENCE-ID:20240108T090000Z\r\nSUMMARY:Standup (moved)\r\n"
                "LAST-MODIFIED:20240105T100000Z\r\n");
  std::string other = Component("VEVENT", "UID:other\r\nSUMMARY:Other\r\n");
  std::string master = Component("VEVENT",
                                 "UID:weekly\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:Standup\r\n"
                                 "LAST-MODIFIED:20240101T100000Z\r\n");
  std::string file = kHead + override_block + other + kTzBerlin + master + kEnd;
  std::vector<PimItem> items = ReadOk(file);
  REQUIRE(items.size() == 2);
  CHECK(items[0].uid == "weekly");
  CHECK(items[0].summary == "Standup");
  CHECK(items[0].revision == "20240105T100000Z");
  CHECK(items[0].first_line == 4);
  CHECK(items[0].raw == kHead + kTzBerlin + override_block + master + kEnd);
  CHECK(items[1].uid == "other");
  CHECK(items[1].raw == kHead + kTzBerlin + other + kEnd);
}

TEST_CASE("a file whose components all share one UID is one item whose raw is the whole file") {
  std::string file = kHead + Component("VEVENT", "UID:same\r\nSUMMARY:Master\r\n") + "\r\n" +
                     Component("VEVENT", "UID:same\r\nRECURRENCE-ID:20240101T000000Z\r\n") + kEnd;
  std::vector<PimItem> items = ReadOk(file);
  REQUIRE(items.size() == 1);
  CHECK(items[0].raw == file);
  CHECK(items[0].summary == "Master");
}

TEST_CASE("components without UID each become their own item") {
  std::string a = Component("VEVENT", "SUMMARY:A\r\n");
  std::string b = Component("VEVENT", "SUMMARY:B\r\n");
  std::vector<PimItem> items = ReadOk(kHead + a + b + kEnd);
  REQUIRE(items.size() == 2);
  CHECK(items[0].raw == kHead + a + kEnd);
  CHECK(items[1].raw == kHead + b + kEnd);
  CHECK(items[0].summary == "A");
  CHECK(items[1].summary == "B");
}

TEST_CASE("an item whose components are of several kinds has the kind of its first") {
  std::string todo = Component("VTODO", "UID:mixed\r\n");
  std::string event = Component("VEVENT", "UID:mixed\r\n");
  std::string other = Component("VEVENT", "UID:x\r\n");
  std::vector<PimItem> items = ReadOk(kHead + todo + other + event + kEnd);
  REQUIRE(items.size() == 2);
  CHECK(items[0].kind == PimKind::kTask);
  CHECK(items[0].raw == kHead + todo + event + kEnd);
}

TEST_CASE("the BOM and whatever precedes the first component are in every split item") {
  std::string head =
      "\xEF\xBB\xBF"
      "BEGIN:VCALENDAR\nVERSION:2.0\nX-WR-CALNAME:Work\n";
  std::string a = "BEGIN:VEVENT\nUID:a\nEND:VEVENT\n";
  std::string b = "BEGIN:VEVENT\nUID:b\nEND:VEVENT\n";
  std::string end = "END:VCALENDAR";  // no line ending at the end of the file
  std::vector<PimItem> items = ReadOk(head + a + "\n" + b + end);
  REQUIRE(items.size() == 2);
  CHECK(items[0].raw == head + a + end);
  CHECK(items[1].raw == head + b + end);
}

TEST_CASE("two VCALENDARs in one file split with each one's own header and time zones") {
  std::string head2 = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:second\r\n";
  std::string a = Component("VEVENT", "UID:a\r\n");
  std::string b = Component("VEVENT", "UID:b\r\n");
  std::string file = kHead + kTzBerlin + a + kEnd + head2 + kTzTokyo + b + kEnd;
  std::vector<PimItem> items = ReadOk(file);
  REQUIRE(items.size() == 2);
  CHECK(items[0].raw == kHead + kTzBerlin + a + kEnd);
  CHECK(items[1].raw == head2 + kTzTokyo + b + kEnd);
}

TEST_CASE("folded lines, LF endings and lower-case names are read") {
  std::string file =
      "begin:vcalendar\nversion:2.0\nbegin:vevent\nuid:fold\n ed-uid\nsummary:Caf\xC3\n"
      " \xA9 meeting\nlast-modified:20240101T000000Z\nend:vevent\nend:vcalendar\n";
  std::vector<PimItem> items = ReadOk(file);
  REQUIRE(items.size() == 1);
  CHECK(items[0].uid == "folded-uid");
  CHECK(items[0].summary == "Caf\xC3\xA9 meeting");
  CHECK(items[0].revision == "20240101T000000Z");
  CHECK(items[0].first_line == 3);
}

TEST_CASE("a vCalendar 1.0 QUOTED-PRINTABLE summary is decoded") {
  std::vector<PimItem> items = ReadOk(
      "BEGIN:VCALENDAR\r\nVERSION:1.0\r\nBEGIN:VEVENT\r\n"
      "SUMMARY;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Geburtstag J=FCr=\r\ngen\r\n"
      "END:VEVENT\r\nEND:VCALENDAR\r\n");
  REQUIRE(items.size() == 1);
  CHECK(items[0].summary == "Geburtstag J\xC3\xBCrgen");
}

TEST_CASE("a calendar of many events splits into one item per event") {
  std::string file = kHead + kTzBerlin;
  for (int i = 0; i < 3000; ++i) {
    file += Component(
        "VEVENT", "UID:" + std::to_string(i) + "\r\nSUMMARY:Event " + std::to_string(i) + "\r\n");
  }
  file += kEnd;
  std::vector<PimItem> items = ReadOk(file);
  REQUIRE(items.size() == 3000);
  CHECK(items[2999].uid == "2999");
  CHECK(items[2999].summary == "Event 2999");
  CHECK(items[2999].raw ==
        kHead + kTzBerlin + Component("VEVENT", "UID:2999\r\nSUMMARY:Event 2999\r\n") + kEnd);
}

// --- Errors -----------------------------------------------------------------

TEST_CASE("invalid UTF-8 in an iCalendar file is refused with its line") {
  std::string file = kHead + Component("VEVENT", "UID:x\r\nSUMMARY:J\xFCrgen\r\n") + kEnd;
  CHECK(ReadError(file) ==
        "/sdcard/Calendar/personal.ics:6: text is not valid UTF-8, which iCalendar must be: "
        "\"SUMMARY:J?rgen\"");
}

TEST_CASE("a file without BEGIN:VCALENDAR is refused") {
  CHECK(ReadError("") ==
        "/sdcard/Calendar/personal.ics:1: no calendar in the file (no BEGIN:VCALENDAR line)");
  CHECK(StartsWith(ReadError("BEGIN:VCARD\r\nEND:VCARD\r\n"),
                   "/sdcard/Calendar/personal.ics:1: not an iCalendar file: expected "
                   "BEGIN:VCALENDAR, found \"BEGIN:VCARD\""));
}

TEST_CASE("a truncated calendar is refused naming the innermost open BEGIN") {
  CHECK(ReadError(kHead + "BEGIN:VEVENT\r\nUID:x\r\nSUMMARY:cut") ==
        "/sdcard/Calendar/personal.ics:4: BEGIN:VEVENT has no END:VEVENT (the file may be cut "
        "short)");
  CHECK(ReadError(kHead + Component("VEVENT", "UID:x\r\n")) ==
        "/sdcard/Calendar/personal.ics:1: BEGIN:VCALENDAR has no END:VCALENDAR (the file may be "
        "cut short)");
}

TEST_CASE("an END that does not match its BEGIN is refused with both lines") {
  CHECK(ReadError(kHead + "BEGIN:VEVENT\r\nUID:x\r\nEND:VCALENDAR\r\n") ==
        "/sdcard/Calendar/personal.ics:6: END:VCALENDAR does not match BEGIN:VEVENT at line 4");
}

TEST_CASE("nesting deeper than the bound is refused") {
  std::string file = kHead;
  for (int i = 0; i < kMaxNestingDepth; ++i) file += "BEGIN:X-DEEP\r\n";
  CHECK(ReadError(file) ==
        "/sdcard/Calendar/personal.ics:19: BEGIN blocks are nested more than "
        "16 deep");
}

TEST_CASE("a content line without ':' is refused with its line") {
  CHECK(ReadError(kHead + "BEGIN:VEVENT\r\nDESCRIPTION;LANGUAGE=en\r\nEND:VEVENT\r\n" + kEnd) ==
        "/sdcard/Calendar/personal.ics:5: content line has no property name and ':' before its "
        "value: \"DESCRIPTION;LANGUAGE=en\"");
}

TEST_CASE("text after END:VCALENDAR is refused") {
  CHECK(ReadError(kHead + kEnd + "garbage\r\n") ==
        "/sdcard/Calendar/personal.ics:5: text outside BEGIN:VCALENDAR ... END:VCALENDAR: "
        "\"garbage\"");
}

TEST_CASE("a NUL byte in a calendar is refused as binary with its line") {
  std::string file = kHead + "BEGIN:VEVENT\r\n";
  file.push_back('\0');
  file += "\r\nEND:VEVENT\r\n" + kEnd;
  CHECK(StartsWith(ReadError(file), "/sdcard/Calendar/personal.ics:5: file holds binary data"));
}

TEST_CASE("a line longer than the bound is refused with its line") {
  std::string file = kHead +
                     "BEGIN:VEVENT\r\nDESCRIPTION:" + std::string(kMaxContentLineBytes, 'd') +
                     "\r\nEND:VEVENT\r\n" + kEnd;
  CHECK(StartsWith(ReadError(file), "/sdcard/Calendar/personal.ics:5: line is longer than 16 MiB"));
}

TEST_CASE("a split that would repeat huge time zones too often is refused before it is built") {
  std::string big_tz =
      "BEGIN:VTIMEZONE\r\nTZID:Big\r\nX-PAD:" + std::string(1 << 20, 'p') + "\r\nEND:VTIMEZONE\r\n";
  std::string file = kHead + big_tz;
  for (int i = 0; i < 600; ++i) file += Component("VEVENT", "UID:" + std::to_string(i) + "\r\n");
  file += kEnd;
  std::string error = ReadError(file);
  CHECK(StartsWith(error, "/sdcard/Calendar/personal.ics:1: the calendar's 600 items"));
  CHECK(error.find("more than the 512 MiB limit") != std::string::npos);
}

TEST_CASE("random bytes never crash the reader") {
  uint32_t seed = 987654321;
  auto next = [&seed]() {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 24;
  };
  std::string alphabet = "BEGIN:VEVENTDOUCALR;=\r\n \t\"UID:SUMMARY\\,\xC3\xA9\xFF";
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string file = kHead;
    size_t length = next() % 300;
    for (size_t i = 0; i < length; ++i) file.push_back(alphabet[next() % alphabet.size()]);
    if (round % 2 == 0) file += "\r\n" + kEnd;
    Result<std::vector<PimItem>> result = ReadIcalendarFile(file, kPath);
    if (result.has_value()) {
      ++accepted;
      for (const PimItem& item : *result) {
        CHECK(IsValidUtf8(item.summary));
        CHECK(StartsWith(item.raw, "BEGIN:VCALENDAR"));
      }
    } else {
      CHECK(result.error().code() == ErrorCode::kMalformedInput);
      CHECK(StartsWith(result.error().message(), "/sdcard/Calendar/personal.ics:"));
    }
  }
  CHECK(accepted > 0);
}

}  // namespace
}  // namespace holdfast::platform
