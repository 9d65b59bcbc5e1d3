// Lists the regular files of a folder tree with the stat fields capture
// compares (size, mtime, inode), without reading any file.
//
// Symbolic links and entries whose names start with '.' are skipped (hidden
// files, vdir metadata, trash folders); FIFOs, sockets and devices are listed
// apart (ScanResult::special) and never opened. Pure function of the file system;
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

// An entry that is neither a regular file, a folder nor a symbolic link.
struct SpecialEntry {
  std::string path;  // relative to the root, '/'-separated
  std::string what;  // "a FIFO", "a socket", "a character device", ...
};

struct ScanResult {
  std::vector<FileEntry> files;  // sorted by path
  // FIFOs, sockets and devices: listed, never opened (reading a FIFO waits
  // for a writer that may never come).
  std::vector<SpecialEntry> special;
  // Subfolders or files that could not be listed or stat'ed ("path: reason").
  std::vector<std::string> problems;
};

// Scans `root` down to `max_depth` levels of subfolders (0: only the files
// directly in root). Errors: kNotFound if root is missing, kInvalidArgument if
// it is not a folder, kPermission/kIoError if it cannot be listed. A
// subfolder that cannot be listed is a problem in the result, not an error.
Result<ScanResult> ScanTree(const std::filesystem::path& root, int max_depth);

// The stat fields of one file (symbolic links followed). Errors as for
// stat(2), naming the path; kInvalidArgument for what is not a regular file
// (a FIFO, a device, a folder).
Result<FileEntry> StatFile(const std::filesystem::path& file);

}  // namespace holdfast::platform
