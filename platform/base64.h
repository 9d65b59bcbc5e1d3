// Base64 (RFC 4648, standard alphabet, '=' padding): whole strings, or a
// stream fed piece by piece; and base64url without padding, whole strings. Pure functions and values; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace holdfast::platform {

std::string Base64Encode(std::string_view bytes);

// nullopt for anything that is not canonical base64 (bad characters, bad
// padding, a length that is not a multiple of 4).
std::optional<std::string> Base64Decode(std::string_view text);

// base64url (RFC 4648 section 5: '-' and '_' for '+' and '/'), without padding.
std::string Base64UrlEncode(std::string_view bytes);
// nullopt unless `text` is exactly what Base64UrlEncode makes of some bytes
// (so every byte string has one encoding: no padding, no stray low bits).
std::optional<std::string> Base64UrlDecode(std::string_view text);

// Encodes a stream: Add appends the encoding of whole 3-byte groups to `out`
// and keeps the rest; Finish flushes it with padding.
class Base64Encoder {
 public:
  explicit Base64Encoder(std::string* out) : out_(out) {}
  void Add(std::string_view bytes);
  void Finish();

 private:
  void Emit(int n);
  std::string* out_;
  unsigned char pending_[3] = {0, 0, 0};
  int count_ = 0;
};

}  // namespace holdfast::platform
