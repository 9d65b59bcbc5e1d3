#include "platform/dir_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "platform/files.h"

namespace holdfast::platform {
namespace {

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// Lists one open folder (taking ownership of dir_fd) and the folders below
// it. Returns the errno that stopped listing this folder itself, or 0;
// failures below it become problems.
int ScanDir(int dir_fd, const std::string& prefix, int depth_left, ScanResult* result) {
  DIR* dir = fdopendir(dir_fd);
  if (dir == nullptr) {
    int err = errno;
    close(dir_fd);
    return err;
  }
  int listing_error = 0;
  while (true) {
    errno = 0;
    dirent* entry = readdir(dir);
    if (entry == nullptr) {
      listing_error = errno;
      break;
    }
    if (entry->d_name[0] == '.') continue;
    const std::string rel = prefix.empty() ? entry->d_name : prefix + "/" + entry->d_name;
    struct stat st {};
    if (fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      result->problems.push_back(rel + ": " + std::strerror(errno));
      continue;
    }
    if (S_ISREG(st.st_mode)) {
      result->files.push_back({rel, static_cast<uint64_t>(st.st_size), MtimeNs(st),
                               static_cast<uint64_t>(st.st_ino)});
    } else if (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
      result->special.push_back({rel, DescribeFileType(st.st_mode)});
    } else if (S_ISDIR(st.st_mode) && depth_left > 0) {
      int child = openat(dirfd(dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (child < 0) {
        result->problems.push_back(rel + ": " + std::strerror(errno));
        continue;
      }
      int err = ScanDir(child, rel, depth_left - 1, result);
      if (err != 0) result->problems.push_back(rel + ": " + std::strerror(err));
    }
  }
  closedir(dir);
  return listing_error;
}

}  // namespace

Result<ScanResult> ScanTree(const std::filesystem::path& root, int max_depth) {
  struct stat st {};
  if (stat(root.c_str(), &st) != 0) return ErrnoStatus(root.string(), errno);
  if (!S_ISDIR(st.st_mode)) return Status(ErrorCode::kInvalidArgument, root.string() + ": not a folder");
  int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("list " + root.string(), errno);
  ScanResult result;
  // A root that cannot be listed is an error for the whole source, never an
  // empty source.
  int err = ScanDir(fd, "", max_depth, &result);
  if (err != 0) return ErrnoStatus("list " + root.string(), err);
  std::sort(result.files.begin(), result.files.end(),
            [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; });
  return result;
}

Result<FileEntry> StatFile(const std::filesystem::path& file) {
  struct stat st {};
  if (stat(file.c_str(), &st) != 0) return ErrnoStatus(file.string(), errno);
  if (!S_ISREG(st.st_mode)) {
    return Status(ErrorCode::kInvalidArgument,
                  file.string() + ": not a regular file (" + DescribeFileType(st.st_mode) + ")");
  }
  return FileEntry{file.filename().string(), static_cast<uint64_t>(st.st_size), MtimeNs(st),
                   static_cast<uint64_t>(st.st_ino)};
}

}  // namespace holdfast::platform
