// Tar archives (GNU tar format, optionally zstd-compressed) through
// libarchive: the only code that includes <archive.h>.
//
// TarWriter writes members one after another into a file descriptor the
// caller owns (an AtomicFile's, so the archive appears whole or not at all).
// TarReader reads any tar libarchive recognises (plain, zstd, gzip, ...),
// member by member, streaming: memory use does not grow with member sizes.
// Neither is thread-safe. Durability: none of their own; see AtomicFile.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "platform/status.h"

namespace holdfast::platform {

class TarWriter {
 public:
  TarWriter();
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  // Starts an archive on `fd` (not closed by the writer). `name` is used in
  // error messages. Errors: kIoError.
  Status Open(int fd, std::string_view name, bool zstd);
  // Starts an archive whose bytes go to `sink` (for example an encrypting
  // stream) in blocks; an error from the sink ends the archive with it.
  using Sink = std::function<Status(std::string_view)>;
  Status Open(Sink sink, std::string_view name, bool zstd);
  // Starts a regular file member of exactly `size_bytes`; then Write must
  // supply exactly that many bytes before the next BeginFile or Close.
  Status BeginFile(std::string_view member_path, uint64_t size_bytes, int64_t mtime_ms);
  Status Write(std::string_view bytes);
  // Writes the end of the archive (and flushes the compressor).
  Status Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct TarMember {
  std::string path;
  uint64_t size_bytes = 0;
  bool regular_file = false;  // false for folders, links, devices ...
};

class TarReader {
 public:
  TarReader();
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  // Errors: kNotFound, kPermission, kMalformedInput ("not a tar archive").
  Status Open(const std::string& path);
  // Reads the archive from `source` (for example a decrypting stream): it
  // fills up to `capacity` bytes and returns how many, 0 at the end. An error
  // from the source is what Next and Read then return.
  using Source = std::function<Result<size_t>(char* buffer, size_t capacity)>;
  Status Open(Source source, const std::string& name);
  // Moves to the next member. Returns false at the end of the archive.
  // Errors: kMalformedInput naming the archive (truncated, damaged header).
  // An archive cut exactly between two members reads as a shorter, valid
  // one: callers that need every member check against a list of their own
  // (import checks its manifest).
  Result<bool> Next(TarMember* member);
  // Reads the current member's next bytes; 0 at its end. Errors:
  // kMalformedInput (truncated or damaged data).
  Result<size_t> Read(char* buffer, size_t capacity);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace holdfast::platform
