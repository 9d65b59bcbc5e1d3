// The vCard reader: every version as phones write it, the bytes each item
// keeps, and every malformed file giving its path and line.
#include "platform/pim/vcard_reader.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace holdfast::platform {
namespace {

constexpr std::string_view kPath = "/sdcard/contacts.vcf";

std::vector<PimItem> ReadOk(std::string_view bytes) {
  Result<std::vector<PimItem>> result = ReadVcardFile(bytes, kPath);
  REQUIRE_MESSAGE(result.has_value(), result.error().ToString());
  return std::move(result).value();
}

// The error message of a file that must be refused.
std::string ReadError(std::string_view bytes) {
  Result<std::vector<PimItem>> result = ReadVcardFile(bytes, kPath);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code() == ErrorCode::kMalformedInput);
  return result.error().message();
}

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// --- vCard 2.1 -------------------------------------------------------------

TEST_CASE("a vCard 2.1 QUOTED-PRINTABLE FN in ISO-8859-1 is decoded to UTF-8") {
  std::string card =
      "BEGIN:VCARD\r\n"
      "VERSION:2.1\r\n"
      "N;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen\r\n"
      "FN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:J=FCrgen M=FCller\r\n"
      "TEL;CELL:+49 170 1234567\r\n"
      "END:VCARD\r\n";
  std::vector<PimItem> items = ReadOk(card);
  REQUIRE(items.size() == 1);
  CHECK(items[0].kind == PimKind::kContact);
  CHECK(items[0].summary == "J\xC3\xBCrgen M\xC3\xBCller");
  CHECK(items[0].uid.empty());
  CHECK(items[0].revision.empty());
  CHECK(items[0].raw == card);
  CHECK(items[0].first_line == 1);
}

TEST_CASE("a vCard 2.1 QUOTED-PRINTABLE value continues across '=' soft line breaks") {
  std::string card =
      "BEGIN:VCARD\r\n"
      "VERSION:2.1\r\n"
      "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=89lodie =\r\n"
      "Fran=C3=A7oise=\r\n"
      " Dupont\r\n"
      "NOTE;QUOTED-PRINTABLE:line one=0D=0A=\r\n"
      "line two\r\n"
      "END:VCARD\r\n";
  std::vector<PimItem> items = ReadOk(card);
  REQUIRE(items.size() == 1);
  // The third physical line starts with a space: it is a QP continuation
  // (the soft break came first), so the space is part of the value.
  CHECK(items[0].summary == "\xC3\x89lodie Fran\xC3\xA7oise Dupont");
  CHECK(items[0].raw == card);
}

TEST_CASE("a vCard 2.1 CHARSET=windows-1252 value of bare 8-bit bytes is decoded") {
  std::vector<PimItem> items =
      ReadOk("BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=windows-1252:Caf\xE9 \x80uro\nEND:VCARD\n");
  REQUIRE(items.size() == 1);
  CHECK(items[0].summary == "Caf\xC3\xA9 \xE2\x82\xACuro");
}

TEST_CASE("a vCard 2.1 with 8-bit bytes and no CHARSET is accepted and read as windows-1252") {
  std::vector<PimItem> items =
      ReadOk("BEGIN:VCARD\r\nVERSION:2.1\r\nN:G\xF6tz;Bj\xF6rn\r\nEND:VCARD\r\n");
  REQUIRE(items.size() == 1);
  CHECK(items[0].summary == "Bj\xC3\xB6rn G\xC3\xB6tz");
}

TEST_CASE("a vCard 2.1 bare QUOTED-PRINTABLE parameter in UTF-8 is decoded") {
  std::vector<PimItem> items = ReadOk(
      "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=UTF-8;QUOTED-PRINTABLE:=E7=94=B0=E4=B8=AD\r\n"
      "END:VCARD\r\n");
  REQUIRE(items.size() == 1);
  CHECK(items[0].summary == "\xE7\x94\xB0\xE4\xB8\xAD");
}

TEST_CASE("a vCard 2.1 AGENT card inside a card is part of the outer card, not an item") {
  std::string card =
      "BEGIN:VCARD\r\n"
      "VERSION:2.1\r\n"
      "FN:Boss\r\n"
      "AGENT:\r\n"
      "BEGIN:VCARD\r\n"
      "VERSION:2.1\r\n"
      "FN:Assistant\r\n"
      "UID:agent-uid\r\n"
      "END:VCARD\r\n"
      "UID:boss-uid\r\n"
      "END:VCARD\r\n";
  std::vector<PimItem> items = ReadOk(card);
  REQUIRE(items.size() == 1);
  CHECK(items[0].summary == "Boss");
  CHECK(items[0].uid == "boss-uid");
  CHECK(items[0].raw == card);
}

// --- vCard 3.0 and 4.0 -----------------------------------------------------

TEST_CASE("a vCard 3.0 with folded lines, escapes and REV is read") {
  std::string card =
      "BEGIN:VCARD\r\n"
      "VERSION:3.0\r\n"
      "N:Doe;John;;;\r\n"
      "FN:John Doe\\, Jr.\r\n"
      "  the Third\r\n"
      "UID:3.0-uid\r\n"
      "\t-suffix\r\n"
      "REV:2023-05-01T10:00:00Z\r\n"
      "END:VCARD\r\n";
  std::vector<PimItem> items = ReadOk(card);
  REQUIRE(items.size() == 1);
  CHECK(items[0].summary == "John Doe, Jr. the Third");
  CHECK(items[0].uid == "3.0-uid-suffix");
  CHECK(items[0].revision == "2023-05-01T10:00:00Z");
}

TEST_CASE("a vCard 4.0 with a urn:uuid UID and a timestamp REV is read verbatim") {
  std::vector<PimItem> items = ReadOk(
      "BEGIN:VCARD\nVERSION:4.0\nUID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\n"
      "FN;LANGUAGE=de:J\xC3\xBCrgen\nREV:20230501T100000Z\nEND:VCARD\n");
  REQUIRE(items.size() == 1);
  CHECK(items[0].uid == "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1");
  CHECK(items[0].summary == "J\xC3\xBCrgen");
  CHECK(items[0].revision == "20230501T100000Z");
}

TEST_CASE("property names and BEGIN/END values are matched in any case") {
  std::vector<PimItem> items = ReadOk("begin:vcard\nversion:3.0\nfn:lower\nuid:u1\nEnd:VCard\n");
  REQUIRE(items.size() == 1);
  CHECK(items[0].summary == "lower");
  CHECK(items[0].uid == "u1");
}

TEST_CASE("grouped properties are read like ungrouped ones") {
  std::vector<PimItem> items = ReadOk(
      "BEGIN:VCARD\r\nVERSION:3.0\r\nitem1.TEL;type=pref:+1 555 0100\r\n"
      "item1.X-ABLabel:_$!<Mobile>!$_\r\nitem2.FN:Grouped Name\r\nA.UID:grouped-uid\r\n"
      "END:VCARD\r\n");
  REQUIRE(items.size() == 1);
  CHECK(items[0].summary == "Grouped Name");
  CHECK(items[0].uid == "grouped-uid");
}

TEST_CASE("without FN the summary is N joined readably") {
  std::vector<PimItem> items = ReadOk(
      "BEGIN:VCARD\r\nVERSION:3.0\r\nN:M\xC3\xBCller;Hans;Peter,Paul;Dr.;Jr.\r\nEND:VCARD\r\n");
  REQUIRE(items.size() == 1);
  CHECK(items[0].summary == "Dr. Hans Peter Paul M\xC3\xBCller Jr.");
}

TEST_CASE("a blank FN falls back to N, and without FN and N the summary is the ORG") {
  std::vector<PimItem> with_n = ReadOk("BEGIN:VCARD\nVERSION:3.0\nFN: \nN:Doe;Jane\nEND:VCARD\n");
  REQUIRE(with_n.size() == 1);
  CHECK(with_n[0].summary == "Jane Doe");
  std::vector<PimItem> org_only =
      ReadOk("BEGIN:VCARD\nVERSION:3.0\nORG:ACME\\; Inc.;Sales\nEND:VCARD\n");
  REQUIRE(org_only.size() == 1);
  CHECK(org_only[0].summary == "ACME; Inc.");
  std::vector<PimItem> nothing = ReadOk("BEGIN:VCARD\nVERSION:3.0\nTEL:1\nEND:VCARD\n");
  REQUIRE(nothing.size() == 1);
  CHECK(nothing[0].summary.empty());
}

TEST_CASE("the first UID, FN and REV of a card win") {
  std::vector<PimItem> items = ReadOk(
      "BEGIN:VCARD\nVERSION:3.0\nUID:first\nFN:First\nREV:1\nUID:second\nFN:Second\nREV:2\n"
      "END:VCARD\n");
  REQUIRE(items.size() == 1);
  CHECK(items[0].uid == "first");
  CHECK(items[0].summary == "First");
  CHECK(items[0].revision == "1");
}

TEST_CASE("a quoted parameter holding ':' and a value holding ':' are read") {
  std::vector<PimItem> items =
      ReadOk("BEGIN:VCARD\nVERSION:4.0\nX-NOTE;X-P=\"a:b;c\":x:y\nFN:After Quote\nEND:VCARD\n");
  REQUIRE(items.size() == 1);
  CHECK(items[0].summary == "After Quote");
}

// --- Line endings, BOM, blank lines -------------------------------------

TEST_CASE("LF-only, lone-CR and mixed line endings read the same card") {
  for (std::string_view ending : {"\n", "\r", "\r\n"}) {
    std::string card = "BEGIN:VCARD" + std::string(ending) + "VERSION:3.0\r\nFN:Mixed" +
                       std::string(ending) + "UID:m\nEND:VCARD" + std::string(ending);
    std::vector<PimItem> items = ReadOk(card);
    REQUIRE(items.size() == 1);
    CHECK(items[0].summary == "Mixed");
    CHECK(items[0].uid == "m");
    CHECK(items[0].raw == card);
  }
}

TEST_CASE("a single card keeps the whole file: BOM, blank lines and trailing newline") {
  std::string file =
      "\xEF\xBB\xBF\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bom\r\n\r\nEND:VCARD\r\n\r\n\r\n";
  std::vector<PimItem> items = ReadOk(file);
  REQUIRE(items.size() == 1);
  CHECK(items[0].summary == "Bom");
  CHECK(items[0].raw == file);
  CHECK(items[0].first_line == 2);
}

TEST_CASE("a card whose last line has no line ending is read") {
  std::string file = "BEGIN:VCARD\nVERSION:3.0\nFN:No newline\nEND:VCARD";
  std::vector<PimItem> items = ReadOk(file);
  REQUIRE(items.size() == 1);
  CHECK(items[0].summary == "No newline");
  CHECK(items[0].raw == file);
}

// --- Several cards ----------------------------------------------------------

TEST_CASE("each card of a multi-card file keeps exactly its BEGIN..END bytes") {
  std::string a = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Alice\r\nUID:a\r\nEND:VCARD\r\n";
  std::string b = "BEGIN:VCARD\nVERSION:3.0\nFN:Bob\n folded\nEND:VCARD\n";
  std::string c = "begin:vcard\r\nversion:4.0\r\nfn:Carol\r\nend:vcard";
  std::string file = a + b + c;
  std::vector<PimItem> items = ReadOk(file);
  REQUIRE(items.size() == 3);
  CHECK(items[0].raw == a);
  CHECK(items[1].raw == b);
  CHECK(items[2].raw == c);
  CHECK(items[0].raw + items[1].raw + items[2].raw == file);
  CHECK(items[0].first_line == 1);
  CHECK(items[1].first_line == 6);
  CHECK(items[2].first_line == 11);
  CHECK(items[0].summary == "Alice");
  CHECK(items[1].summary == "Bobfolded");
  CHECK(items[2].summary == "Carol");
  CHECK(items[0].uid == "a");
  CHECK(items[1].uid.empty());
}

TEST_CASE("a BOM and blank lines between cards belong to no card") {
  std::string a = "BEGIN:VCARD\nVERSION:3.0\nFN:A\nEND:VCARD\n";
  std::string b = "BEGIN:VCARD\nVERSION:3.0\nFN:B\nEND:VCARD\n";
  std::vector<PimItem> items = ReadOk("\xEF\xBB\xBF" + a + "\n  \n" + b + "\n");
  REQUIRE(items.size() == 2);
  CHECK(items[0].raw == a);
  CHECK(items[1].raw == b);
  CHECK(items[1].first_line == 7);
}

TEST_CASE("many cards are read in order with their own raw bytes") {
  std::string file;
  for (int i = 0; i < 2000; ++i) {
    file += "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + std::to_string(i) + "\r\nFN:Person " +
            std::to_string(i) + "\r\nEND:VCARD\r\n";
  }
  std::vector<PimItem> items = ReadOk(file);
  REQUIRE(items.size() == 2000);
  std::string joined;
  for (const PimItem& item : items) joined += item.raw;
  CHECK(joined == file);
  CHECK(items[1234].uid == "1234");
  CHECK(items[1234].summary == "Person 1234");
  CHECK(items[1234].first_line == 1234 * 5 + 1);
}

// --- Errors -----------------------------------------------------------------

TEST_CASE("a file with a NUL byte is refused as binary with its line") {
  std::string file = "BEGIN:VCARD\nVERSION:3.0\nFN:x";
  file.push_back('\0');
  file += "\nEND:VCARD\n";
  CHECK(StartsWith(ReadError(file), "/sdcard/contacts.vcf:3: file holds binary data"));
}

TEST_CASE("an empty file and a blank file are refused as holding no vCard") {
  CHECK(ReadError("") == "/sdcard/contacts.vcf:1: no vCard in the file (no BEGIN:VCARD line)");
  CHECK(ReadError("\r\n\r\n") ==
        "/sdcard/contacts.vcf:1: no vCard in the file (no BEGIN:VCARD line)");
}

TEST_CASE("a file of something else is refused as not a vCard file") {
  CHECK(ReadError("\nhello world\n") ==
        "/sdcard/contacts.vcf:2: not a vCard file: expected BEGIN:VCARD, found \"hello world\"");
  CHECK(StartsWith(ReadError("BEGIN:VCALENDAR\nEND:VCALENDAR\n"),
                   "/sdcard/contacts.vcf:1: not a vCard file: expected BEGIN:VCARD"));
}

TEST_CASE("a truncated card is refused naming its BEGIN line") {
  CHECK(ReadError("BEGIN:VCARD\nVERSION:3.0\nFN:A\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nFN:B") ==
        "/sdcard/contacts.vcf:5: BEGIN:VCARD has no END:VCARD (the file may be cut short)");
}

TEST_CASE("an END that does not match its BEGIN is refused with both lines") {
  CHECK(ReadError("BEGIN:VCARD\nVERSION:3.0\nFN:A\nEND:VCALENDAR\n") ==
        "/sdcard/contacts.vcf:4: END:VCALENDAR does not match BEGIN:VCARD at line 1");
}

TEST_CASE("an END:VCARD without a BEGIN is refused") {
  std::string error = ReadError("BEGIN:VCARD\nFN:A\nEND:VCARD\nEND:VCARD\n");
  CHECK(StartsWith(error, "/sdcard/contacts.vcf:4: text outside BEGIN:VCARD ... END:VCARD"));
}

TEST_CASE("text between cards is refused") {
  CHECK(ReadError("BEGIN:VCARD\nFN:A\nEND:VCARD\nFN:stray\nBEGIN:VCARD\nFN:B\nEND:VCARD\n") ==
        "/sdcard/contacts.vcf:4: text outside BEGIN:VCARD ... END:VCARD: \"FN:stray\"");
}

TEST_CASE("nesting deeper than the bound is refused; nesting up to it is read") {
  auto nested = [](int depth) {
    std::string file;
    for (int i = 0; i < depth; ++i) file += "BEGIN:VCARD\n";
    for (int i = 0; i < depth; ++i) file += "END:VCARD\n";
    return file;
  };
  CHECK(ReadOk(nested(kMaxNestingDepth)).size() == 1);
  CHECK(ReadError(nested(kMaxNestingDepth + 1)) ==
        "/sdcard/contacts.vcf:17: BEGIN blocks are nested more than 16 deep");
}

TEST_CASE("a content line without ':' is refused with its line") {
  CHECK(ReadError("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nno colon here\r\nEND:VCARD\r\n") ==
        "/sdcard/contacts.vcf:4: content line has no property name and ':' before its value: "
        "\"no colon here\"");
}

TEST_CASE("invalid UTF-8 in a vCard 3.0 or 4.0 is refused with its line, in 2.1 it is not") {
  for (std::string version : {"3.0", "4.0"}) {
    std::string file = "BEGIN:VCARD\nVERSION:" + version + "\nFN:ok\nNOTE:J\xFCrgen\nEND:VCARD\n";
    CHECK(ReadError(file) == "/sdcard/contacts.vcf:4: text is not valid UTF-8, which a vCard " +
                                 version + " must be (only vCard 2.1 may use other charsets)");
  }
  std::vector<PimItem> legacy =
      ReadOk("BEGIN:VCARD\nVERSION:2.1\nFN:ok\nNOTE:J\xFCrgen\nEND:VCARD\n");
  CHECK(legacy.size() == 1);
}

TEST_CASE("invalid UTF-8 before the VERSION line of a 3.0 card is still refused") {
  CHECK(StartsWith(ReadError("BEGIN:VCARD\nFN:J\xFCrgen\nVERSION:3.0\nEND:VCARD\n"),
                   "/sdcard/contacts.vcf:2: text is not valid UTF-8"));
}

TEST_CASE("a line longer than the bound is refused with its line") {
  std::string file =
      "BEGIN:VCARD\nVERSION:3.0\nPHOTO:" + std::string(kMaxContentLineBytes, 'A') + "\nEND:VCARD\n";
  CHECK(StartsWith(ReadError(file), "/sdcard/contacts.vcf:3: line is longer than 16 MiB"));
}

TEST_CASE("a UTF-16 file is refused with advice") {
  std::string file(
      "\xFF\xFE"
      "B\0E\0G\0I\0N\0",
      12);
  CHECK(StartsWith(ReadError(file), "/sdcard/contacts.vcf:1: file is in UTF-16"));
}

TEST_CASE("a file over 64 MiB is refused before it is parsed") {
  std::string file(kMaxPimFileBytes + 1, '\n');
  std::string error = ReadError(file);
  CHECK(StartsWith(error, "/sdcard/contacts.vcf: file is 67108865 bytes"));
}

TEST_CASE("random bytes never crash the reader") {
  uint32_t seed = 12345;
  auto next = [&seed]() {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 24;
  };
  std::string alphabet = "BEGIN:VCARDEND;=\r\n \t\"QUOTED-PRINTABLE,\\\xC3\xBC\xFF";
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string file = "BEGIN:VCARD\n";
    size_t length = next() % 200;
    for (size_t i = 0; i < length; ++i) file.push_back(alphabet[next() % alphabet.size()]);
    if (round % 2 == 0) file += "\nEND:VCARD\n";
    Result<std::vector<PimItem>> result = ReadVcardFile(file, kPath);
    if (result.has_value()) {
      ++accepted;
      for (const PimItem& item : *result) CHECK(IsValidUtf8(item.summary));
    } else {
      CHECK(result.error().code() == ErrorCode::kMalformedInput);
      CHECK(StartsWith(result.error().message(), "/sdcard/contacts.vcf:"));
    }
  }
  CHECK(accepted > 0);
}

}  // namespace
}  // namespace holdfast::platform
