// Files and durable writes of one file at a time, outside SQLite. Writing
// many files, or one file as a stream, under the same promise:
// platform/staged_files.h.
//
// Durability promise: when WriteFileAtomically or CreateEmptyFile returns OK,
// the file and its name survive a power cut (data fsynced, then renamed or
// linked, then the folder fsynced). A failed write leaves any old file whole.
// Functions are thread-safe as far as the OS calls they make are.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "platform/status.h"

namespace holdfast::platform {

// Creates `dir` and any missing parents with mode 0700 (existing folders keep
// their mode) and fsyncs each parent that gained an entry. OK if it exists.
// Errors: kNotFound/kPermission/kIoError/kNoSpace naming the folder.
Status EnsurePrivateDir(const std::filesystem::path& dir);

// Creates `path` empty with `mode` (O_EXCL: kAlreadyExists if it is there),
// fsyncs it and its folder.
Status CreateEmptyFile(const std::filesystem::path& path, mode_t mode);

// Writes `bytes` to `path` so that a power cut leaves either the old file or
// the new one whole:
//   1. write a temp file in the same folder (platform/temp_name.h:
//      ".holdfast-<name>.<pid>.<random>.tmp"), mode `mode`, with O_EXCL and
//      O_NOFOLLOW (a planted link is refused)
//   2. fsync it
//   3. rename it over `path`
//   4. fsync the folder
// On failure the temp file is removed. Idempotent.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes,
                           mode_t mode = 0600);

// Writes all of `bytes` to `fd` (retrying short writes and EINTR); errors
// name `path` (ENOSPC gives kNoSpace).
Status WriteFd(int fd, std::string_view bytes, const std::filesystem::path& path);

// True when `relative` stays inside the tree it is relative to: not empty, no
// leading '/', no empty, "." or ".." component, no NUL. Pure.
bool IsPlainRelativePath(std::string_view relative);

// fsyncs a folder so that entries created, renamed or removed in it are durable.
Status SyncDir(const std::filesystem::path& dir);

// Opens an existing file for reading, refusing what is not a regular file
// without blocking on it: a FIFO, socket or device under the name (made by a
// user, or swapped in after a folder scan) gives kInvalidArgument "<path>: not
// a regular file (a FIFO)" where a plain open() would wait forever for a
// writer. Other errors as open(2), naming the path. The caller owns the
// returned descriptor and closes it.
Result<int> OpenRegularFile(const std::filesystem::path& path);

// "a FIFO", "a socket", "a character device", ... for messages.
const char* DescribeFileType(mode_t mode);

// Reads a whole regular file (see OpenRegularFile); kInvalidArgument if it is
// larger than max_size_bytes.
Result<std::string> ReadWholeFile(const std::filesystem::path& path,
                                  uint64_t max_size_bytes);

// Reads up to `size_bytes` from the start of a regular file (fewer if it is shorter).
Result<std::string> ReadFilePrefix(const std::filesystem::path& path, size_t size_bytes);

}  // namespace holdfast::platform
