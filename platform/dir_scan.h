// Lists the regular files of a folder tree with the stat fields capture
// compares (size, mtime, inode), without reading any file.
//
// Symbolic links and entries whose names start with '.' are skipped (hidden
// files, vdir metadata, trash folders). Pure function of the file system;
// thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "platform/status.h"

namespace holdfast::platform {

struct FileEntry {
  std::string path;  // relative to the root, '/'-separated
  uint64_t size_bytes = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
};

struct ScanResult {
  std::vector<FileEntry> files;  // sorted by path
  // Subfolders or files that could not be listed or stat'ed ("path: reason").
  std::vector<std::string> problems;
};

// Scans `root` down to `max_depth` levels of subfolders (0: only the files
// directly in root). Errors: kNotFound if root is missing, kInvalidArgument if
// it is not a folder, kPermission/kIoError if it cannot be listed. A
// subfolder that cannot be listed is a problem in the result, not an error.
Result<ScanResult> ScanTree(const std::filesystem::path& root, int max_depth);

// The stat fields of one file. Errors as for stat(2), naming the path.
Result<FileEntry> StatFile(const std::filesystem::path& file);

}  // namespace holdfast::platform
