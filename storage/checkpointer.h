// Copies committed WAL frames into the vault file on a second connection and
// thread, so that the writing thread does not stop to checkpoint.
//
// Private to storage/. In WAL mode a checkpoint and a writer take different
// locks, so a PASSIVE checkpoint on this connection runs beside the writer on
// the other core; it copies only frames already committed, so durability is
// SQLite's as ever. Best effort: a failed or busy checkpoint leaves the frames
// safely in the WAL, where the writer's own backstop checkpoint (see
// Vault::Open) or the final checkpoint at close picks them up.
// Thread-safety: Nudge may be called from any thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "platform/status.h"
#include "storage/sqlite_handle.h"

namespace holdfast::storage {

class Checkpointer {
 public:
  // Opens a second connection to `uri` and starts the thread.
  static Result<std::unique_ptr<Checkpointer>> Start(const std::string& uri);
  // Stops the thread; a checkpoint in progress finishes first.
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Asks for a checkpoint soon (called after commits).
  void Nudge();

 private:
  explicit Checkpointer(std::unique_ptr<Db> db);
  void Loop();

  std::unique_ptr<Db> db_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace holdfast::storage
