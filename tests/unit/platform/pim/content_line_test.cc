// The text layer of the vCard and iCalendar readers: line endings, BOM,
// unfolding, QUOTED-PRINTABLE soft breaks, splitting, decoding, UTF-8 checks.
#include "platform/pim/content_line.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace holdfast::platform {
namespace {

struct Lines {
  std::vector<std::string> texts;
  std::vector<int> numbers;
  std::vector<size_t> begins;
  std::vector<size_t> ends;
  Status status;
};

Lines ReadAll(std::string_view bytes, bool qp_soft_breaks = false) {
  ContentLineReader reader(bytes, "test.vcf", qp_soft_breaks);
  Lines lines;
  ContentLine line;
  while (reader.Next(&line)) {
    lines.texts.emplace_back(line.text);
    lines.numbers.push_back(line.line_number);
    lines.begins.push_back(line.begin_offset);
    lines.ends.push_back(line.end_offset);
  }
  lines.status = reader.status();
  return lines;
}

using Texts = std::vector<std::string>;
using Numbers = std::vector<int>;

TEST_CASE("CRLF, LF and lone CR line endings each end one line") {
  Lines lines = ReadAll("A:1\r\nB:2\nC:3\rD:4");
  REQUIRE(lines.status.ok());
  CHECK(lines.texts == Texts{"A:1", "B:2", "C:3", "D:4"});
  CHECK(lines.numbers == Numbers{1, 2, 3, 4});
}

TEST_CASE("line offsets cover every byte of the file including the line endings") {
  std::string bytes = "A:1\r\nB:2\n\nC:3\r";
  Lines lines = ReadAll(bytes);
  REQUIRE(lines.status.ok());
  REQUIRE(lines.texts.size() == 4);
  CHECK(lines.texts[2].empty());
  CHECK(lines.begins == std::vector<size_t>{0, 5, 9, 10});
  CHECK(lines.ends == std::vector<size_t>{5, 9, 10, 14});
}

TEST_CASE("a file with only lone CR line endings is read line by line") {
  std::string bytes;
  for (int i = 0; i < 1000; ++i) bytes += "X:" + std::to_string(i) + "\r";
  Lines lines = ReadAll(bytes);
  REQUIRE(lines.status.ok());
  REQUIRE(lines.texts.size() == 1000);
  CHECK(lines.texts[999] == "X:999");
  CHECK(lines.numbers[999] == 1000);
}

TEST_CASE("a UTF-8 BOM is skipped and the first line starts after it") {
  Lines lines = ReadAll(
      "\xEF\xBB\xBF"
      "A:1\nB:2\n");
  REQUIRE(lines.status.ok());
  CHECK(lines.texts == Texts{"A:1", "B:2"});
  CHECK(lines.begins[0] == 3);
  CHECK(Utf8BomLength("\xEF\xBB\xBFx") == 3);
  CHECK(Utf8BomLength("\xEF\xBBx") == 0);
}

TEST_CASE("a line starting with a space or a tab continues the previous one minus that byte") {
  Lines lines = ReadAll("SUMMARY:Long\r\n  text\r\n\there\r\nB:2\r\n");
  REQUIRE(lines.status.ok());
  CHECK(lines.texts == Texts{"SUMMARY:Long texthere", "B:2"});
  CHECK(lines.numbers == Numbers{1, 4});
  CHECK(lines.ends[0] == 29);
}

TEST_CASE("unfolding restores a UTF-8 character split across a fold") {
  Lines lines = ReadAll("FN:J\xC3\r\n \xBCrgen\r\n");
  REQUIRE(lines.status.ok());
  REQUIRE(lines.texts.size() == 1);
  CHECK(lines.texts[0] == "FN:J\xC3\xBCrgen");
  CHECK(IsValidUtf8(lines.texts[0]));
}

TEST_CASE("a QUOTED-PRINTABLE soft line break joins the next line without its '='") {
  std::string bytes = "NOTE;ENCODING=QUOTED-PRINTABLE:first=\r\nsecond=\r\nthird\r\nTEL:1\r\n";
  Lines lines = ReadAll(bytes, /*qp_soft_breaks=*/true);
  REQUIRE(lines.status.ok());
  CHECK(lines.texts == Texts{"NOTE;ENCODING=QUOTED-PRINTABLE:firstsecondthird", "TEL:1"});
  CHECK(lines.numbers == Numbers{1, 4});
}

TEST_CASE("the bare 2.1 QUOTED-PRINTABLE parameter also allows soft line breaks") {
  Lines lines = ReadAll("FN;CHARSET=UTF-8;QUOTED-PRINTABLE:a=\nb\n", true);
  REQUIRE(lines.status.ok());
  CHECK(lines.texts == Texts{"FN;CHARSET=UTF-8;QUOTED-PRINTABLE:ab"});
}

TEST_CASE("a trailing '=' on a line that is not QUOTED-PRINTABLE joins nothing") {
  Lines lines = ReadAll("NOTE:a=\nTEL:1\n", true);
  REQUIRE(lines.status.ok());
  CHECK(lines.texts == Texts{"NOTE:a=", "TEL:1"});
}

TEST_CASE("soft line breaks are not joined when the reader is not asked for them") {
  Lines lines = ReadAll("NOTE;ENCODING=QUOTED-PRINTABLE:a=\nb\n", false);
  REQUIRE(lines.status.ok());
  CHECK(lines.texts == Texts{"NOTE;ENCODING=QUOTED-PRINTABLE:a=", "b"});
}

TEST_CASE("a soft line break wins over folding: the next line's leading space is kept") {
  Lines lines = ReadAll("FN;QUOTED-PRINTABLE:Anna=\r\n Maria\r\n Folded\r\n", true);
  REQUIRE(lines.status.ok());
  CHECK(lines.texts == Texts{"FN;QUOTED-PRINTABLE:Anna MariaFolded"});
}

TEST_CASE("a stray soft break before END:VCARD does not swallow the END line") {
  Lines lines = ReadAll("NOTE;QUOTED-PRINTABLE:a=\r\nEND:VCARD\r\n", true);
  REQUIRE(lines.status.ok());
  CHECK(lines.texts == Texts{"NOTE;QUOTED-PRINTABLE:a=", "END:VCARD"});
}

TEST_CASE("a line longer than the bound is an error naming the file and line") {
  std::string bytes = "A:1\nB:" + std::string(kMaxContentLineBytes, 'x') + "\n";
  Lines lines = ReadAll(bytes);
  CHECK(lines.texts == Texts{"A:1"});
  CHECK(lines.status.code() == ErrorCode::kMalformedInput);
  CHECK(lines.status.message().rfind("test.vcf:2: line is longer than 16 MiB", 0) == 0);
}

TEST_CASE("folded continuation lines count toward the line length bound") {
  std::string bytes = "B:";
  std::string piece = " " + std::string(1 << 20, 'y') + "\n";
  for (int i = 0; i < 17; ++i) bytes += piece;
  Lines lines = ReadAll("\n" + bytes);
  CHECK(lines.status.code() == ErrorCode::kMalformedInput);
  CHECK(lines.status.message().find("test.vcf:") == 0);
}

TEST_CASE("a content line splits into group, name, parameters and value") {
  ContentLineParts parts;
  REQUIRE(SplitContentLine("item1.TEL;TYPE=cell:+1 555:0100", &parts));
  CHECK(parts.group == "item1");
  CHECK(parts.name == "TEL");
  CHECK(parts.params == "TYPE=cell");
  CHECK(parts.value == "+1 555:0100");

  REQUIRE(SplitContentLine("FN:", &parts));
  CHECK(parts.group.empty());
  CHECK(parts.name == "FN");
  CHECK(parts.params.empty());
  CHECK(parts.value.empty());
}

TEST_CASE("a ':' inside a quoted parameter value does not end the parameters") {
  ContentLineParts parts;
  REQUIRE(SplitContentLine("ATTENDEE;CN=\"Doe: John\";X=1:mailto:j@example.org", &parts));
  CHECK(parts.name == "ATTENDEE");
  CHECK(parts.params == "CN=\"Doe: John\";X=1");
  CHECK(parts.value == "mailto:j@example.org");
}

TEST_CASE("an unclosed quote in the parameters falls back to the first ':'") {
  ContentLineParts parts;
  REQUIRE(SplitContentLine("X;A=\"oops:value", &parts));
  CHECK(parts.params == "A=\"oops");
  CHECK(parts.value == "value");
}

TEST_CASE("a line without ':' or without a name does not split") {
  ContentLineParts parts;
  CHECK_FALSE(SplitContentLine("just some text", &parts));
  CHECK_FALSE(SplitContentLine("X;A=b", &parts));
  CHECK_FALSE(SplitContentLine(":value", &parts));
  CHECK_FALSE(SplitContentLine("", &parts));
}

TEST_CASE("parameters are walked as name=value pairs and bare 2.1 words") {
  ParamCursor cursor("WORK;VOICE;TYPE=\"a;b\";CHARSET=UTF-8");
  std::vector<std::pair<std::string, std::string>> seen;
  ContentLineParam param;
  while (cursor.Next(&param)) seen.emplace_back(param.name, param.value);
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  CHECK(seen == Pairs{{"", "WORK"}, {"", "VOICE"}, {"TYPE", "a;b"}, {"CHARSET", "UTF-8"}});
}

TEST_CASE("QUOTED-PRINTABLE is recognised as ENCODING= or as a bare parameter in any case") {
  CHECK(IsQuotedPrintable("ENCODING=QUOTED-PRINTABLE"));
  CHECK(IsQuotedPrintable("charset=utf-8;encoding=quoted-printable"));
  CHECK(IsQuotedPrintable("HOME;QUOTED-PRINTABLE"));
  CHECK_FALSE(IsQuotedPrintable("ENCODING=BASE64"));
  CHECK_FALSE(IsQuotedPrintable(""));
  CHECK(CharsetParam("ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1") == "ISO-8859-1");
  CHECK(CharsetParam("charset=\"UTF-8\"") == "UTF-8");
  CHECK(CharsetParam("TYPE=HOME").empty());
}

TEST_CASE("QUOTED-PRINTABLE decoding turns =XX into bytes and keeps a stray '='") {
  CHECK(DecodeQuotedPrintable("M=C3=BCller") == "M\xC3\xBCller");
  CHECK(DecodeQuotedPrintable("a=3db") == "a=b");
  CHECK(DecodeQuotedPrintable("=0D=0Aline") == "\r\nline");
  CHECK(DecodeQuotedPrintable("50=") == "50=");
  CHECK(DecodeQuotedPrintable("=G1x") == "=G1x");
  CHECK(DecodeQuotedPrintable("a=\r\nb=\nc") == "abc");
}

TEST_CASE("text escapes are undone and unknown escapes are kept") {
  CHECK(UnescapeText("a\\,b\\;c\\\\d\\ne\\Nf\\:g") == "a,b;c\\d\ne\nf:g");
  CHECK(UnescapeText("C:\\temp\\") == "C:\\temp\\");
  CHECK(UnescapeText("plain") == "plain");
}

TEST_CASE("structured values split only on unescaped separators") {
  std::vector<std::string_view> pieces = SplitStructured("Doe\\;Smith;John;;Dr.;", ';');
  REQUIRE(pieces.size() == 5);
  CHECK(pieces[0] == "Doe\\;Smith");
  CHECK(pieces[1] == "John");
  CHECK(pieces[2].empty());
  CHECK(pieces[3] == "Dr.");
  CHECK(pieces[4].empty());
  CHECK(SplitStructured("", ';').size() == 1);
  CHECK(SplitStructured("ends with\\", ';').size() == 1);
}

TEST_CASE("ISO-8859-1 and windows-1252 text is converted to UTF-8") {
  CHECK(ToUtf8("M\xFCller", "ISO-8859-1") == "M\xC3\xBCller");
  CHECK(ToUtf8("\x80 5", "windows-1252") == "\xE2\x82\xAC 5");
  CHECK(ToUtf8("plain", "ISO-8859-1") == "plain");
}

TEST_CASE("Shift_JIS text is converted to UTF-8 by iconv") {
  // "Tanaka" in kanji: 田中 is 0x93 0x63 0x92 0x86 in Shift_JIS.
  CHECK(ToUtf8("\x93\x63\x92\x86", "SHIFT_JIS") == "\xE7\x94\xB0\xE4\xB8\xAD");
}

TEST_CASE("undeclared or UTF-8 text passes through, and non-UTF-8 bytes are read as windows-1252") {
  CHECK(ToUtf8("J\xC3\xBCrgen", "") == "J\xC3\xBCrgen");
  CHECK(ToUtf8("J\xC3\xBCrgen", "utf-8") == "J\xC3\xBCrgen");
  CHECK(ToUtf8("J\xFCrgen", "") == "J\xC3\xBCrgen");
  CHECK(ToUtf8("J\xFCrgen", "UTF-8") == "J\xC3\xBCrgen");
}

TEST_CASE("an unknown or odd charset name is treated as if none was given") {
  CHECK(ToUtf8("J\xFCrgen", "X-NO-SUCH-CHARSET") == "J\xC3\xBCrgen");
  CHECK(ToUtf8("J\xFCrgen", "UTF-8//IGNORE") == "J\xC3\xBCrgen");
  CHECK(ToUtf8("ok", "../../etc/passwd") == "ok");
}

TEST_CASE("a byte the charset cannot map becomes U+FFFD and the rest is kept") {
  // 0x81 is unassigned in windows-1252.
  CHECK(ToUtf8("a\x81z", "windows-1252") == "a\xEF\xBF\xBDz");
  // A lone lead byte of a two-byte Shift_JIS character at the end.
  std::string out = ToUtf8("ab\x93", "SHIFT_JIS");
  CHECK(out == "ab\xEF\xBF\xBD");
}

TEST_CASE("DecodeValue undoes QUOTED-PRINTABLE and then the charset") {
  ContentLineParts parts;
  REQUIRE(SplitContentLine("FN;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:J=FCrgen", &parts));
  CHECK(DecodeValue(parts) == "J\xC3\xBCrgen");
  REQUIRE(SplitContentLine("FN:J=FCrgen", &parts));
  CHECK(DecodeValue(parts) == "J=FCrgen");
}

TEST_CASE(
    "UTF-8 validation rejects overlong forms, surrogates, big code points and cut sequences") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("plain ASCII text that is longer than eight bytes"));
  CHECK(IsValidUtf8("\xC3\xBC \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"));
  CHECK(FindInvalidUtf8("abc\xC0\xAF") == 3);          // overlong '/'
  CHECK(FindInvalidUtf8("\xE0\x80\xAF") == 0);         // overlong 3-byte
  CHECK(FindInvalidUtf8("ok \xED\xA0\x80") == 3);      // surrogate D800
  CHECK(FindInvalidUtf8("\xF4\x90\x80\x80") == 0);     // above U+10FFFF
  CHECK(FindInvalidUtf8("0123456789\xE2\x82") == 10);  // cut at the end
  CHECK(FindInvalidUtf8("x\x80") == 1);                // lone continuation
  CHECK(FindInvalidUtf8("\xC3\xBC\xFF") == 2);         // never valid
}

TEST_CASE("a NUL byte is reported as binary data with its line") {
  std::string bytes = "BEGIN:VCARD\r\nFN:A\r\nX:";
  bytes.push_back('\0');
  bytes += "\r\n";
  Status status = CheckTextBytes(bytes, "/sd/a.vcf");
  CHECK(status.code() == ErrorCode::kMalformedInput);
  CHECK(status.message().rfind("/sd/a.vcf:3: file holds binary data", 0) == 0);
  CHECK(CheckTextBytes("BEGIN:VCARD\r\n", "/sd/a.vcf").ok());
}

TEST_CASE("UTF-16 text is refused with advice to save it as UTF-8") {
  std::string with_bom(
      "\xFF\xFE"
      "B\0E\0",
      6);
  Status status = CheckTextBytes(with_bom, "x.vcf");
  CHECK(status.code() == ErrorCode::kMalformedInput);
  CHECK(status.message().find("x.vcf:1: file is in UTF-16") == 0);
  CHECK(status.message().find("save it as UTF-8") != std::string::npos);
  std::string without_bom("B\0E\0G\0", 6);
  CHECK(CheckTextBytes(without_bom, "x.vcf").message().find("UTF-16") != std::string::npos);
}

TEST_CASE("a file over the size bound is refused with its size") {
  Status status = CheckTextBytes("0123456789", "big.ics", 9);
  CHECK(status.code() == ErrorCode::kMalformedInput);
  CHECK(status.message() ==
        "big.ics: file is 10 bytes, more than the 9 bytes a vCard or iCalendar file may have");
  CHECK(CheckTextBytes("012345678", "big.ics", 9).ok());
}

TEST_CASE("line numbers count CRLF, LF and lone CR as one ending each") {
  std::string_view bytes = "a\r\nb\nc\rd";
  CHECK(LineNumberAt(bytes, 0) == 1);
  CHECK(LineNumberAt(bytes, 3) == 2);
  CHECK(LineNumberAt(bytes, 5) == 3);
  CHECK(LineNumberAt(bytes, 7) == 4);
}

TEST_CASE("error excerpts are short, quoted and free of control and broken bytes") {
  CHECK(QuoteForMessage("abc") == "\"abc\"");
  CHECK(QuoteForMessage("a\tb\x01") == "\"a?b?\"");
  CHECK(QuoteForMessage("J\xFCrgen") == "\"J?rgen\"");
  std::string long_text(39, 'x');
  long_text += "\xC3\xBC and more";
  CHECK(QuoteForMessage(long_text) == "\"" + std::string(39, 'x') + "...\"");
}

TEST_CASE("blank lines are spaces, tabs, form feeds and DOS end-of-file marks only") {
  CHECK(IsBlankLine(""));
  CHECK(IsBlankLine(" \t\f\x1A"));
  CHECK_FALSE(IsBlankLine(" x"));
}

TEST_CASE("every kind has its lower-case name") {
  CHECK(std::string(PimKindName(PimKind::kContact)) == "contact");
  CHECK(std::string(PimKindName(PimKind::kEvent)) == "event");
  CHECK(std::string(PimKindName(PimKind::kTask)) == "task");
  CHECK(std::string(PimKindName(PimKind::kNote)) == "note");
}

}  // namespace
}  // namespace holdfast::platform
