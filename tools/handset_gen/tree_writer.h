// Writes the synthetic handset's folder tree: plain POSIX writes (test data,
// so no fsync), fixed modes (0755 folders, 0644 files, whatever the umask)
// and one fixed modification time on every file and folder, so two runs with
// the same seed give identical trees.
//
// Thread-safety: WriteFile may be called from several threads at once for
// different paths; MakeDirs and StampDirs from one thread while no WriteFile
// runs. Durability: none (nothing is synced; a crash leaves a partial tree).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace holdfast::handset_gen {

class TreeWriter {
 public:
  // `root` must exist. Every file and folder gets mtime `mtime_epoch`.
  TreeWriter(std::filesystem::path root, int64_t mtime_epoch);

  // Creates root/relative and any missing parents ("a/b/c"), mode 0755.
  // OK if they exist. Errors: ErrnoStatus of mkdir, naming the folder.
  Status MakeDirs(std::string_view relative);

  // Creates root/relative (which must not exist: kAlreadyExists), writes all
  // of `bytes`, sets mode 0644 and the fixed mtime. The folder must exist.
  // Errors: ErrnoStatus of open/write/futimens, naming the file.
  Status WriteFile(std::string_view relative, std::string_view bytes);

  // Sets the fixed mtime on every folder MakeDirs created and on root,
  // deepest first. Call after the last WriteFile.
  Status StampDirs();

  uint64_t files_written() const { return files_.load(); }
  uint64_t bytes_written() const { return bytes_.load(); }

 private:
  std::filesystem::path root_;
  int64_t mtime_epoch_;
  std::vector<std::string> dirs_;  // relative, in creation order
  std::atomic<uint64_t> files_{0};
  std::atomic<uint64_t> bytes_{0};
};

}  // namespace holdfast::handset_gen
