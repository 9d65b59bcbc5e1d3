#include "platform/terminal_text.h"

#include <cstdint>

namespace holdfast::platform {
namespace {

void AppendHex(std::string* out, unsigned char byte) {
  static const char kHex[] = "0123456789abcdef";
  *out += "\\x";
  out->push_back(kHex[byte >> 4]);
  out->push_back(kHex[byte & 15]);
}

// The length of the valid UTF-8 sequence at text[i] and its code point, or 0
// when the bytes there are not valid UTF-8 (overlong, surrogate, > U+10FFFF,
// cut short).
size_t DecodeUtf8(std::string_view text, size_t i, uint32_t* code_point) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  uint32_t cp = 0, min = 0;
  if (lead < 0x80) return *code_point = lead, 1;
  if ((lead & 0xe0) == 0xc0) length = 2, cp = lead & 0x1f, min = 0x80;
  else if ((lead & 0xf0) == 0xe0) length = 3, cp = lead & 0x0f, min = 0x800;
  else if ((lead & 0xf8) == 0xf0) length = 4, cp = lead & 0x07, min = 0x10000;
  else return 0;
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  *code_point = cp;
  return length;
}

bool Unprintable(uint32_t cp) {
  return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string TerminalSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    const size_t length = DecodeUtf8(text, i, &cp);
    if (length == 0) {
      AppendHex(&out, static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    if (cp == '\\') {
      out += "\\\\";
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (Unprintable(cp)) {
      for (size_t k = 0; k < length; ++k) AppendHex(&out, static_cast<unsigned char>(text[i + k]));
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

}  // namespace holdfast::platform
