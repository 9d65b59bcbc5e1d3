#include "tools/handset_gen/tree_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace holdfast::handset_gen {
TreeWriter::TreeWriter(std::filesystem::path root, int64_t mtime_epoch)
    : root_(std::move(root)), mtime_epoch_(mtime_epoch) {}

Status TreeWriter::MakeDirs(std::string_view relative) {
  std::string partial;
  size_t start = 0;
  while (start <= relative.size()) {
    size_t slash = relative.find('/', start);
    if (slash == std::string_view::npos) slash = relative.size();
    if (!partial.empty()) partial += '/';
    partial.append(relative.substr(start, slash - start));
    start = slash + 1;
    const std::string path = (root_ / partial).string();
    if (mkdir(path.c_str(), 0755) == 0) {
      // mkdir applies the umask; the tree must not depend on it.
      if (chmod(path.c_str(), 0755) != 0) return ErrnoStatus("chmod " + path, errno);
      dirs_.push_back(partial);
    } else if (errno != EEXIST) {
      return ErrnoStatus("mkdir " + path, errno);
    }
  }
  return Status::Ok();
}

Status TreeWriter::WriteFile(std::string_view relative, std::string_view bytes) {
  const std::string path = (root_ / relative).string();
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("create " + path, errno);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      return ErrnoStatus("write " + path, err);
    }
    done += static_cast<size_t>(n);
  }
  const timespec times[2] = {{static_cast<time_t>(mtime_epoch_), 0},
                             {static_cast<time_t>(mtime_epoch_), 0}};
  if (fchmod(fd, 0644) != 0 || futimens(fd, times) != 0) {
    const int err = errno;
    close(fd);
    return ErrnoStatus("set mode and time of " + path, err);
  }
  if (close(fd) != 0) return ErrnoStatus("close " + path, errno);
  files_.fetch_add(1);
  bytes_.fetch_add(bytes.size());
  return Status::Ok();
}

Status TreeWriter::StampDirs() {
  std::vector<std::string> order = dirs_;
  // Deeper folders first: stamping a folder does not touch its parent, but
  // creating it did, so parents are stamped after all their children exist.
  std::stable_sort(order.begin(), order.end(), [](const std::string& a, const std::string& b) {
    return std::count(a.begin(), a.end(), '/') > std::count(b.begin(), b.end(), '/');
  });
  order.emplace_back();  // the root itself
  const timespec times[2] = {{static_cast<time_t>(mtime_epoch_), 0},
                             {static_cast<time_t>(mtime_epoch_), 0}};
  for (const std::string& rel : order) {
    const std::string path = rel.empty() ? root_.string() : (root_ / rel).string();
    if (utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) {
      return ErrnoStatus("set time of " + path, errno);
    }
  }
  return Status::Ok();
}

}  // namespace holdfast::handset_gen
