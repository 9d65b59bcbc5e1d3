// Passphrase encryption of a byte stream through libsodium: the only code
// that includes <sodium.h>. Used for encrypted export archives
// (docs/formats.md, "Encrypted archives").
//
// The key comes from the passphrase by Argon2id (crypto_pwhash, a random
// salt and the cost parameters stored in the file's header); the stream is
// crypto_secretstream_xchacha20poly1305 in chunks of kSecretChunkBytes, the
// last one tagged FINAL, every chunk authenticated with the header as
// additional data. So a wrong passphrase, any changed byte, reordered or
// dropped chunks, a file cut short and bytes appended after the end are all
// refused. Memory use is constant (one chunk), apart from Argon2id's
// memory while the key is derived. Not thread-safe: one object per stream.
// Durability: none of its own (the writer's sink decides).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace holdfast::platform {

// The first 16 bytes of every encrypted file.
inline constexpr std::string_view kSecretMagic = "holdfast-enc-v1\n";
inline constexpr size_t kSecretChunkBytes = 64 * 1024;

// libsodium's set-up: once, from main() (also done by the functions below
// when needed). Errors: kInternal.
Status InitCryptoLibrary();

// True when the file at `path` starts with kSecretMagic. Errors: as open/read.
Result<bool> IsEncryptedFile(const std::string& path);

// A passphrase as it is given: the whole file, less one trailing newline
// ("\n" or "\r\n"). Errors: kNotFound, kPermission, kInvalidArgument (empty).
Result<std::string> ReadPassphraseFile(const std::string& path);

// Encrypts what is written into `sink`: the header at Create, then chunks.
class EncryptingWriter {
 public:
  using Sink = std::function<Status(std::string_view)>;
  // Derives the key (Argon2id, a new random salt) and writes the header.
  // Errors: kInvalidArgument (empty passphrase), kInternal (out of memory
  // for Argon2id), the sink's errors.
  static Result<std::unique_ptr<EncryptingWriter>> Create(std::string_view passphrase, Sink sink);
  ~EncryptingWriter();
  Status Write(std::string_view bytes);
  // Writes the last (FINAL) chunk. Without it the file reads as cut short.
  Status Finish();

 private:
  EncryptingWriter();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decrypts the file at `path`. Read returns 0 only after the FINAL chunk
// was authenticated and nothing follows it.
class DecryptingReader {
 public:
  // Derives the key from the header. Errors: kNotFound, kMalformedInput (not
  // an encrypted Holdfast file, cost parameters out of range).
  static Result<std::unique_ptr<DecryptingReader>> Open(const std::string& path, std::string_view passphrase);
  // The same file read again with the key already derived (a second pass).
  Result<std::unique_ptr<DecryptingReader>> Reopen() const;
  ~DecryptingReader();
  // Errors: kMalformedInput: "wrong passphrase, or the file was changed"
  // (first chunk), "changed or damaged" (later), "cut short", "bytes after
  // the end".
  Result<size_t> Read(char* buffer, size_t capacity);

 private:
  DecryptingReader();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace holdfast::platform
