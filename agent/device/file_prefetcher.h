// Reads a source's files on a worker thread, a bounded distance ahead of the
// thread that writes them into the vault. Files are hashed there too, and
// .vcf/.ics files parsed.
//
// Capture is half file reading and parsing, half SQLite writing; on a
// handset's two or more cores the two halves overlap. The worker touches no
// vault: it only reads files. Memory is bounded by kMaxQueuedFiles and
// kMaxQueuedBytes. Not copyable; Next() is called from one thread only.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "platform/pim/content_line.h"
#include "platform/sha256.h"
#include "platform/status.h"

namespace holdfast::agent {

struct PrefetchedFile {
  size_t index = 0;         // position in the list given to the constructor
  Status read_error;        // the file could not be read
  size_t size_bytes = 0;
  platform::Digest sha256{};  // of the whole file
  Result<std::vector<platform::PimItem>> items = std::vector<platform::PimItem>();
  std::vector<platform::Digest> item_sha256;  // one per item
  std::string content;  // the file's bytes, kept only when there is no parser
};

class FilePrefetcher {
 public:
  static constexpr size_t kMaxQueuedFiles = 256;
  static constexpr size_t kMaxQueuedBytes = 8u << 20;

  using Parser = std::function<Result<std::vector<platform::PimItem>>(std::string_view bytes,
                                                                     std::string_view path)>;
  // The full path of file `index` and its path for messages. Called on the
  // worker thread, once per file, while the prefetcher lives: the caller's
  // list of files is not copied (a source may have a million of them).
  using PathOf = std::function<std::pair<std::string, std::string>(size_t index)>;

  // Starts reading files 0 to count-1 in order. With an empty `parser` each
  // file's bytes are delivered as they are.
  // Files over max_file_bytes are delivered with a read error.
  FilePrefetcher(size_t count, PathOf path_of, Parser parser, uint64_t max_file_bytes);
  ~FilePrefetcher();
  FilePrefetcher(const FilePrefetcher&) = delete;
  FilePrefetcher& operator=(const FilePrefetcher&) = delete;

  // The next file in order; false when all were delivered.
  bool Next(PrefetchedFile* out);

 private:
  void Work();

  size_t count_;
  PathOf path_of_;
  Parser parser_;
  uint64_t max_file_bytes_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<PrefetchedFile> queue_;
  size_t queued_bytes_ = 0;
  size_t delivered_ = 0;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace holdfast::agent
