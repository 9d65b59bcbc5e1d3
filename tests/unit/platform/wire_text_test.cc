#include "platform/wire_text.h"

#include <doctest/doctest.h>

#include <set>
#include <vector>

namespace holdfast::platform {
namespace {

TEST_CASE("valid UTF-8 goes as it is, anything else as the marker and base64url") {
  CHECK(ToWireText("IMG_1.jpg") == "IMG_1.jpg");
  CHECK(ToWireText("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(ToWireText("") == "");
  CHECK(ToWireText("caf\xe9") == "~b64:Y2Fm6Q");
  CHECK(ToWireText("na\xefve") == "~b64:bmHvdmU");
  CHECK(ToWireText("~b64:x") == "~b64:fmI2NDp4");
  CHECK(ToWireText(std::string("\0", 1)) == std::string("\0", 1));
}

TEST_CASE("every byte string comes back from its wire form, and distinct ones stay distinct") {
  std::vector<std::string> samples = {"", "a", "caf\xe9", "na\xefve", "\xff", "\xff\xfe", "\xff\xfe\xfd",
                                      "~b64:", "~b64:AAAA", "~b64", "~", "\xc3\x28", "\xed\xa0\x80",
                                      std::string(255, '\xe9'), "a b", "a_b", "\xf0\x9f\x93\xb7"};
  for (int b = 0; b < 256; ++b) samples.push_back(std::string(1, static_cast<char>(b)));
  std::set<std::string> wire;
  for (const std::string& s : samples) {
    const std::string w = ToWireText(s);
    CHECK(FromWireText(w) == std::optional<std::string>(s));
    wire.insert(w);
  }
  CHECK(wire.size() == std::set<std::string>(samples.begin(), samples.end()).size());
}

TEST_CASE("text that is not the wire form of anything is refused") {
  CHECK(!FromWireText("caf\xe9"));          // not UTF-8
  CHECK(!FromWireText("~b64:Y2Fm6R"));      // bits left over that are not zero
  CHECK(!FromWireText("~b64:Y2Fm6Q=="));    // padding
  CHECK(!FromWireText("~b64:Y2F+6Q"));      // the standard alphabet
  CHECK(!FromWireText("~b64:Y"));           // a length no encoding has
  CHECK(!FromWireText("~b64:YWJj"));        // "abc" goes as it is
  CHECK(FromWireText("~b64:") == std::nullopt);  // "" goes as it is
}

}  // namespace
}  // namespace holdfast::platform
