#include "platform/base64.h"

#include <cstdint>

namespace holdfast::platform {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int ValueOf(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

void Base64Encoder::Add(std::string_view bytes) {
  for (unsigned char c : bytes) {
    pending_[count_++] = c;
    if (count_ == 3) Emit(3);
  }
}

void Base64Encoder::Finish() {
  if (count_ > 0) Emit(count_);
}

void Base64Encoder::Emit(int n) {
  const uint32_t v = (uint32_t{pending_[0]} << 16) | (n > 1 ? uint32_t{pending_[1]} << 8 : 0) |
                     (n > 2 ? uint32_t{pending_[2]} : 0);
  out_->push_back(kAlphabet[(v >> 18) & 63]);
  out_->push_back(kAlphabet[(v >> 12) & 63]);
  out_->push_back(n > 1 ? kAlphabet[(v >> 6) & 63] : '=');
  out_->push_back(n > 2 ? kAlphabet[v & 63] : '=');
  count_ = 0;
  pending_[0] = pending_[1] = pending_[2] = 0;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  Base64Encoder encoder(&out);
  encoder.Add(bytes);
  encoder.Finish();
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int padding = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = text[i + static_cast<size_t>(j)];
      if (c == '=' && last && j >= 2) {
        v[j] = 0;
        ++padding;
        continue;
      }
      if (padding > 0) return std::nullopt;  // data after '='
      v[j] = ValueOf(c);
      if (v[j] < 0) return std::nullopt;
    }
    const uint32_t n = (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
    out.push_back(static_cast<char>((n >> 16) & 0xFF));
    if (padding < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (padding < 1) out.push_back(static_cast<char>(n & 0xFF));
  }
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out = Base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.find_first_of("+/=") != std::string_view::npos || text.size() % 4 == 1) return std::nullopt;
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  standard.append((4 - standard.size() % 4) % 4, '=');
  std::optional<std::string> bytes = Base64Decode(standard);
  if (!bytes || Base64UrlEncode(*bytes) != text) return std::nullopt;
  return bytes;
}

}  // namespace holdfast::platform
