#include "platform/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "platform/temp_name.h"
#include "platform/unique_fd.h"

namespace holdfast::platform {
namespace {

namespace fs = std::filesystem;

fs::path ParentOf(const fs::path& path) {
  fs::path parent = path.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

}  // namespace

bool IsPlainRelativePath(std::string_view relative) {
  if (relative.empty() || relative.front() == '/' || relative.find('\0') != std::string_view::npos) return false;
  size_t start = 0;
  while (start <= relative.size()) {
    size_t slash = relative.find('/', start);
    if (slash == std::string_view::npos) slash = relative.size();
    const std::string_view part = relative.substr(start, slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = slash + 1;
  }
  return true;
}

Status WriteFd(int fd, std::string_view bytes, const fs::path& path) {
  while (!bytes.empty()) {
    ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write " + path.string(), errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status SyncDir(const fs::path& dir) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("open folder " + dir.string(), errno);
  if (fsync(fd.get()) != 0) return ErrnoStatus("fsync folder " + dir.string(), errno);
  return Status::Ok();
}

Status EnsurePrivateDir(const fs::path& dir) {
  struct stat st {};
  if (stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return Status(ErrorCode::kAlreadyExists, dir.string() + ": exists and is not a folder");
    }
    return Status::Ok();
  }
  if (errno != ENOENT) return ErrnoStatus("stat " + dir.string(), errno);
  fs::path parent = ParentOf(dir);
  if (parent != dir) HF_RETURN_IF_ERROR(EnsurePrivateDir(parent));
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoStatus("create folder " + dir.string(), errno);
  }
  return SyncDir(parent);
}

Status CreateEmptyFile(const fs::path& path, mode_t mode) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (fd.get() < 0) return ErrnoStatus("create " + path.string(), errno);
  // The umask may have narrowed the mode; a private file stays exactly `mode`.
  if (fchmod(fd.get(), mode) != 0) return ErrnoStatus("chmod " + path.string(), errno);
  if (fsync(fd.get()) != 0) return ErrnoStatus("fsync " + path.string(), errno);
  if (fd.Close() != 0) return ErrnoStatus("close " + path.string(), errno);
  return SyncDir(ParentOf(path));
}

Status WriteFileAtomically(const fs::path& path, std::string_view bytes, mode_t mode) {
  // Step 1: write the temp file, under a name nobody can guess, never
  // through a file or link already there (O_EXCL, O_NOFOLLOW).
  const fs::path temp = ParentOf(path) / TempName(path.filename().string(), ".tmp");
  UniqueFd fd(open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (fd.get() < 0) return ErrnoStatus("create " + temp.string(), errno);
  Status status = WriteFd(fd.get(), bytes, temp);
  // Step 2: make its content durable before it gets the real name.
  if (status.ok() && fchmod(fd.get(), mode) != 0) status = ErrnoStatus("chmod " + temp.string(), errno);
  if (status.ok() && fsync(fd.get()) != 0) status = ErrnoStatus("fsync " + temp.string(), errno);
  if (status.ok() && fd.Close() != 0) status = ErrnoStatus("close " + temp.string(), errno);
  // Step 3: the rename replaces the old file in one step.
  if (status.ok() && rename(temp.c_str(), path.c_str()) != 0) {
    status = ErrnoStatus("rename " + temp.string() + " to " + path.string(), errno);
  }
  if (!status.ok()) {
    unlink(temp.c_str());
    return status;
  }
  // Step 4: make the new name durable.
  return SyncDir(ParentOf(path));
}

const char* DescribeFileType(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "a special file";
}

Result<int> OpenRegularFile(const fs::path& path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) return ErrnoStatus("open " + path.string(), errno);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return ErrnoStatus("stat " + path.string(), errno);
  if (!S_ISREG(st.st_mode)) {
    return Status(ErrorCode::kInvalidArgument,
                  path.string() + ": not a regular file (" + DescribeFileType(st.st_mode) + ")");
  }
  // Regular files ignore O_NONBLOCK; cleared all the same so reads behave as usual.
  int flags = fcntl(fd.get(), F_GETFL);
  if (flags < 0 || fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return ErrnoStatus("fcntl " + path.string(), errno);
  }
  return fd.Release();
}

Result<std::string> ReadWholeFile(const fs::path& path, uint64_t max_size_bytes) {
  Result<int> opened = OpenRegularFile(path);
  if (!opened) return opened.error();
  UniqueFd fd(*opened);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return ErrnoStatus("stat " + path.string(), errno);
  if (static_cast<uint64_t>(st.st_size) > max_size_bytes) {
    return Status(ErrorCode::kInvalidArgument,
                  path.string() + ": file is " + std::to_string(st.st_size) +
                      " bytes, more than the limit of " + std::to_string(max_size_bytes));
  }
  // One byte more than fstat promised, so that reaching the end takes one
  // read of 0 bytes and a file that grew meanwhile is noticed and read whole.
  std::string bytes;
  bytes.resize(std::min<uint64_t>(static_cast<uint64_t>(st.st_size) + 1, max_size_bytes + 1));
  size_t done = 0;
  while (true) {
    if (done == bytes.size()) {
      if (bytes.size() > max_size_bytes) {
        return Status(ErrorCode::kInvalidArgument,
                      path.string() + ": file grew past the limit of " + std::to_string(max_size_bytes) +
                          " bytes while being read");
      }
      bytes.resize(std::min<uint64_t>(bytes.size() + 65536, max_size_bytes + 1));
    }
    ssize_t n = read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read " + path.string(), errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

Result<std::string> ReadFilePrefix(const fs::path& path, size_t size_bytes) {
  Result<int> opened = OpenRegularFile(path);
  if (!opened) return opened.error();
  UniqueFd fd(*opened);
  std::string bytes(size_bytes, '\0');
  size_t done = 0;
  while (done < size_bytes) {
    ssize_t n = read(fd.get(), bytes.data() + done, size_bytes - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read " + path.string(), errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

}  // namespace holdfast::platform
