#include "storage/checkpointer.h"

namespace holdfast::storage {

Result<std::unique_ptr<Checkpointer>> Checkpointer::Start(const std::string& uri) {
  Result<std::unique_ptr<Db>> db = Db::Open(uri, SQLITE_OPEN_READWRITE);
  if (!db) return db.error();
  // The writer holds the write lock for whole batches; never wait for it.
  sqlite3_busy_timeout((*db)->get(), 0);
  return std::unique_ptr<Checkpointer>(new Checkpointer(std::move(*db)));
}

Checkpointer::Checkpointer(std::unique_ptr<Db> db) : db_(std::move(db)) {
  thread_ = std::thread([this] { Loop(); });
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Checkpointer::Nudge() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_ = true;
  }
  wake_.notify_one();
}

void Checkpointer::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stop_ || pending_; });
    if (stop_) return;
    pending_ = false;
    lock.unlock();
    // SQLITE_BUSY and I/O errors leave the frames in the WAL (see header).
    sqlite3_wal_checkpoint_v2(db_->get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
  }
}

}  // namespace holdfast::storage
