#include "agent/device/file_prefetcher.h"

#include "platform/files.h"

namespace holdfast::agent {

FilePrefetcher::FilePrefetcher(size_t count, PathOf path_of, Parser parser, uint64_t max_file_bytes)
    : count_(count), path_of_(std::move(path_of)), parser_(std::move(parser)), max_file_bytes_(max_file_bytes) {
  worker_ = std::thread([this] { Work(); });
}

FilePrefetcher::~FilePrefetcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void FilePrefetcher::Work() {
  for (size_t i = 0; i < count_; ++i) {
    PrefetchedFile file;
    file.index = i;
    const auto [full_path, message_path] = path_of_(i);
    Result<std::string> bytes = platform::ReadWholeFile(full_path, max_file_bytes_);
    if (!bytes) {
      file.read_error = bytes.error();
    } else if (!parser_) {
      file.size_bytes = bytes->size();
      file.sha256 = platform::Sha256Of(*bytes);
      file.content = std::move(*bytes);
    } else {
      file.size_bytes = bytes->size();
      file.sha256 = platform::Sha256Of(*bytes);
      file.items = parser_(*bytes, message_path);
      if (file.items) {
        for (const platform::PimItem& item : *file.items) {
          // A file of one item: the item is the file, already hashed.
          file.item_sha256.push_back(item.raw.size() == bytes->size() ? file.sha256
                                                                      : platform::Sha256Of(item.raw));
        }
      }
    }
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] {
      return stop_ || queue_.empty() ||
             (queue_.size() < kMaxQueuedFiles && queued_bytes_ < kMaxQueuedBytes);
    });
    if (stop_) return;
    queued_bytes_ += file.size_bytes;
    queue_.push_back(std::move(file));
    changed_.notify_all();
  }
}

bool FilePrefetcher::Next(PrefetchedFile* out) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (delivered_ == count_) return false;
  changed_.wait(lock, [&] { return !queue_.empty(); });
  *out = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= out->size_bytes;
  ++delivered_;
  changed_.notify_all();
  return true;
}

}  // namespace holdfast::agent
