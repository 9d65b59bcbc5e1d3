// SHA-256 digests (OpenSSL's libcrypto), incremental or in one call.
//
// Sha256 owns an OpenSSL digest context; it is movable, not copyable, and not
// thread-safe (one instance per stream). Digests are 32 raw bytes; ToHex gives
// the lower-case 64-character form used in output and documents.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace holdfast::platform {

using Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  // Feeds more bytes. Never fails for in-memory input.
  void Update(const void* data, size_t size_bytes);
  void Update(std::string_view bytes) { Update(bytes.data(), bytes.size()); }

  // The digest of everything fed so far; the object is then reset for reuse.
  Digest Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

Digest Sha256Of(std::string_view bytes);

// "9f86d0...": 64 lower-case hex characters.
std::string ToHex(const Digest& digest);

// Any bytes as lower-case hex, two characters a byte.
std::string HexOf(std::string_view bytes);

// Parses 64 hex characters (either case); false on anything else.
bool FromHex(std::string_view hex, Digest* digest);

// `bytes` random bytes from OpenSSL's generator, as lower-case hex: tokens,
// epochs. Empty only if the generator fails.
std::string RandomHex(size_t bytes);

}  // namespace holdfast::platform
