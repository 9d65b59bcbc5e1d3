// platform/terminal_text: names escaped for the terminal.
#include "platform/terminal_text.h"

#include <doctest/doctest.h>

namespace holdfast::platform {
namespace {

TEST_CASE("control characters, C1 controls, bidi overrides and invalid UTF-8 are escaped; letters are kept") {
  CHECK(TerminalSafe("card\x1b[2J\r\n\a.vcf") == "card\\x1b[2J\\r\\n\\x07.vcf");
  CHECK(TerminalSafe("tab\there\x7f") == "tab\\there\\x7f");
  CHECK(TerminalSafe("caf\xe9") == "caf\\xe9");                   // Latin-1, not UTF-8
  CHECK(TerminalSafe("\xc2\x9b" "2J") == "\\xc2\\x9b2J");          // C1 CSI
  CHECK(TerminalSafe("a\xe2\x80\xae" "fdp.exe") == "a\\xe2\\x80\\xaefdp.exe");  // U+202E
  CHECK(TerminalSafe("\xed\xa0\x80") == "\\xed\\xa0\\x80");         // a surrogate
  CHECK(TerminalSafe("\xc0\xaf") == "\\xc0\\xaf");                 // overlong "/"
  CHECK(TerminalSafe("\xe2\x82") == "\\xe2\\x82");                 // cut short
  CHECK(TerminalSafe("Zo\xc3\xab M\xc3\xbcller \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x93\xb7") ==
        "Zo\xc3\xab M\xc3\xbcller \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x93\xb7");
  // A backslash is doubled, so that no name escapes to the form of another.
  CHECK(TerminalSafe("a\\x07") == "a\\\\x07");
  CHECK(TerminalSafe("a\\x07") != TerminalSafe("a\a"));
  CHECK(TerminalSafe(std::string_view("nul\0end", 7)) == "nul\\x00end");
}

}  // namespace
}  // namespace holdfast::platform
