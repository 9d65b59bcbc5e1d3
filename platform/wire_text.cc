#include "platform/wire_text.h"

#include "platform/base64.h"
#include "platform/pim/content_line.h"

namespace holdfast::platform {
namespace {

bool GoesAsItIs(std::string_view bytes) {
  return IsValidUtf8(bytes) && bytes.substr(0, kWireMarker.size()) != kWireMarker;
}

}  // namespace

std::string ToWireText(std::string_view bytes) {
  if (GoesAsItIs(bytes)) return std::string(bytes);
  return std::string(kWireMarker) + Base64UrlEncode(bytes);
}

std::optional<std::string> FromWireText(std::string_view text) {
  if (!IsValidUtf8(text)) return std::nullopt;
  if (text.substr(0, kWireMarker.size()) != kWireMarker) return std::string(text);
  std::optional<std::string> bytes = Base64UrlDecode(text.substr(kWireMarker.size()));
  // Text that goes as it is must not come encoded: each byte string has one wire form only.
  if (!bytes || GoesAsItIs(*bytes)) return std::nullopt;
  return bytes;
}

}  // namespace holdfast::platform
