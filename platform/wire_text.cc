#include "platform/wire_text.h"

#include <algorithm>
#include <cstdint>

#include "platform/content_line.h"

namespace holdfast::platform {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int ValueOf(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

bool GoesAsItIs(std::string_view bytes) {
  return IsValidUtf8(bytes) && bytes.substr(0, kWireMarker.size()) != kWireMarker;
}

}  // namespace

std::string ToWireText(std::string_view bytes) {
  if (GoesAsItIs(bytes)) return std::string(bytes);
  std::string out(kWireMarker);
  out.reserve(kWireMarker.size() + (bytes.size() * 4 + 2) / 3);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t v = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (n > 1) v |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    if (n > 2) v |= uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (n > 1) out.push_back(kAlphabet[(v >> 6) & 63]);
    if (n > 2) out.push_back(kAlphabet[v & 63]);
  }
  return out;
}

std::optional<std::string> FromWireText(std::string_view text) {
  if (!IsValidUtf8(text)) return std::nullopt;
  if (text.substr(0, kWireMarker.size()) != kWireMarker) return std::string(text);
  const std::string_view encoded = text.substr(kWireMarker.size());
  if (encoded.size() % 4 == 1) return std::nullopt;
  std::string bytes;
  bytes.reserve(encoded.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : encoded) {
    const int v = ValueOf(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // Bits left over must be zero, and text that goes as it is must not come
  // encoded: each byte string has one wire form only.
  if ((acc & ((uint32_t{1} << bits) - 1)) != 0) return std::nullopt;
  if (GoesAsItIs(bytes)) return std::nullopt;
  return bytes;
}

}  // namespace holdfast::platform
