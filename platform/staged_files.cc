#include "platform/staged_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <system_error>

#include "platform/files.h"
#include "platform/temp_name.h"

namespace holdfast::platform {
namespace {

namespace fs = std::filesystem;

fs::path ParentOf(const fs::path& path) {
  fs::path parent = path.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

constexpr int kTempNameTries = 8;
constexpr int kOpenFlags = O_CLOEXEC | O_NOFOLLOW;

bool ExistsAt(int dir_fd, const std::string& name) {
  struct stat st {};
  return fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

Result<UniqueFd> OpenDir(const fs::path& dir, const fs::path& shown) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("open folder of " + shown.string(), errno);
  return fd;
}

Status SyncDirFd(int dir_fd, const fs::path& shown) {
  if (fsync(dir_fd) != 0) return ErrnoStatus("fsync folder " + shown.string(), errno);
  return Status::Ok();
}

// Opens `name` inside `dir_fd` as a folder, never through a symbolic link;
// makes it (mode `make_mode`) when missing and make_mode != 0.
Result<UniqueFd> OpenFolderAt(int dir_fd, const std::string& name, mode_t make_mode, const fs::path& shown) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | kOpenFlags));
    if (fd.get() >= 0) return fd;
    const int err = errno;
    if (err == ENOENT && make_mode != 0 && attempt == 0) {
      if (mkdirat(dir_fd, name.c_str(), make_mode) != 0 && errno != EEXIST) {
        return ErrnoStatus("create folder " + shown.string(), errno);
      }
      continue;
    }
    struct stat st {};
    if ((err == ELOOP || err == ENOTDIR) && fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISLNK(st.st_mode)) {
        return Status(ErrorCode::kInvalidArgument, shown.string() +
                                                       ": a symbolic link where a folder should be; not followed "
                                                       "(it may lead out of the folder written into)");
      }
      return Status(ErrorCode::kAlreadyExists,
                    shown.string() + ": " + DescribeFileType(st.st_mode) + " where a folder should be; left as it is");
    }
    return ErrnoStatus("open folder " + shown.string(), err);
  }
  return Status(ErrorCode::kIoError, "open folder " + shown.string() + ": removed while being created");
}

// Walks the '/'-separated folders of `relative` down from `root_fd`, one
// openat(O_NOFOLLOW) each, making missing ones with `make_mode`: whatever
// links appear meanwhile, the folder returned is beneath root_fd.
Result<UniqueFd> OpenFolderBeneath(int root_fd, const std::string& relative, mode_t make_mode, const fs::path& shown_root) {
  UniqueFd current(fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (current.get() < 0) return ErrnoStatus("dup folder " + shown_root.string(), errno);
  fs::path shown = shown_root;
  size_t start = 0;
  while (start < relative.size()) {
    size_t slash = relative.find('/', start);
    if (slash == std::string::npos) slash = relative.size();
    const std::string part = relative.substr(start, slash - start);
    shown /= part;
    Result<UniqueFd> next = OpenFolderAt(current.get(), part, make_mode, shown);
    if (!next) return next.error();
    current = std::move(*next);
    start = slash + 1;
  }
  return current;
}

// Creates a temp file beside `name` in `dir_fd`: O_EXCL and O_NOFOLLOW, so a
// file or link planted under the name is never written through.
Result<UniqueFd> CreateTempAt(int dir_fd, const std::string& name, const char* suffix, mode_t mode,
                              std::string* temp_name, const fs::path& shown) {
  for (int attempt = 0; attempt < kTempNameTries; ++attempt) {
    *temp_name = TempName(name, suffix);
    UniqueFd fd(openat(dir_fd, temp_name->c_str(), O_WRONLY | O_CREAT | O_EXCL | kOpenFlags, mode));
    if (fd.get() >= 0) return fd;
    if (errno != EEXIST) return ErrnoStatus("create " + (ParentOf(shown) / *temp_name).string(), errno);
  }
  return Status(ErrorCode::kAlreadyExists, "create a temp file beside " + shown.string() + ": every name tried was taken");
}

// Calls fn(name) for each entry of `dir_fd` (not "." and "..").
template <typename Fn>
void ForEachEntry(int dir_fd, Fn fn) {
  const int copy = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return;
  DIR* dir = fdopendir(copy);
  if (dir == nullptr) {
    close(copy);
    return;
  }
  rewinddir(dir);
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(dir);
  for (const std::string& name : names) fn(name);
}

// Removes `name` in `dir_fd` and, for a folder, everything under it, never
// following a link (a link is removed, not what it points to).
void RemoveTreeAt(int dir_fd, const std::string& name) {
  if (unlinkat(dir_fd, name.c_str(), 0) == 0 || (errno != EISDIR && errno != EPERM)) return;
  UniqueFd sub(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | kOpenFlags));
  if (sub.get() < 0) return;
  ForEachEntry(sub.get(), [&](const std::string& entry) { RemoveTreeAt(sub.get(), entry); });
  (void)unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR);
}

// Flushes every dirty page of the file system holding `fd`: one call
// instead of one fsync per file when thousands of files were written.
Status SyncFileSystemOf(int fd, const fs::path& shown) {
  if (syncfs(fd) != 0) return ErrnoStatus("syncfs " + shown.string(), errno);
  return Status::Ok();
}

// For an entry named "<prefix><pid>.<rest>" (prefix TempPrefix, see
// TempName) whose process is gone, its rest ("<random>.tmp", or "old" and
// "tmp" from the names of earlier versions); otherwise nothing: the entry
// belongs to a live process, this one, or is not ours.
std::optional<std::string> LeftByDeadProcess(const std::string& name, const std::string& prefix) {
  if (name.rfind(prefix, 0) != 0) return std::nullopt;
  const std::string rest = name.substr(prefix.size());
  const size_t dot = rest.find('.');
  if (dot == 0 || dot == std::string::npos) return std::nullopt;
  const std::string digits = rest.substr(0, dot);
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) return std::nullopt;
  const pid_t pid = static_cast<pid_t>(std::stol(digits));
  if (pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH) return std::nullopt;
  return rest.substr(dot + 1);
}

bool IsMovedAside(const std::string& rest) {
  return rest == "old" || (rest.size() > 4 && rest.compare(rest.size() - 4, 4, ".old") == 0);
}

// Removes what a writer of the same target left when it was killed:
// ".holdfast-<name>.<pid>.<rest>" entries whose process is gone.
void RemoveStaleTemps(int dir_fd, const std::string& target_name) {
  const std::string prefix = TempPrefix(target_name);
  ForEachEntry(dir_fd, [&](const std::string& entry) {
    if (LeftByDeadProcess(entry, prefix)) RemoveTreeAt(dir_fd, entry);
  });
}

// Puts back an export that a replacing StagedFolder, killed between moving
// it aside and renaming the new tree into place (the fallback of Commit for
// file systems without RENAME_EXCHANGE), left as "<name>.<pid>.<random>.old"
// of a dead process while no tree holds the name: it is a completed export,
// the only one there is. Once the target exists, such a leftover is an old
// tree and RemoveStaleTemps deletes it.
void RestoreMovedAside(int dir_fd, const std::string& target_name) {
  if (ExistsAt(dir_fd, target_name)) return;
  const std::string prefix = TempPrefix(target_name);
  bool done = false;
  ForEachEntry(dir_fd, [&](const std::string& entry) {
    if (done) return;
    std::optional<std::string> rest = LeftByDeadProcess(entry, prefix);
    if (!rest || !IsMovedAside(*rest)) return;
    if (renameat(dir_fd, entry.c_str(), dir_fd, target_name.c_str()) == 0) {
      (void)fsync(dir_fd);
      done = true;
    }
  });
}

}  // namespace

// ---------------------------------------------------------------------------

AtomicFile::~AtomicFile() { Abandon(); }

void AtomicFile::Abandon() {
  if (fd_.get() >= 0) {
    fd_.Close();
    (void)unlinkat(dir_.get(), temp_.c_str(), 0);
  }
}

Status AtomicFile::Open(const fs::path& path, bool replace, mode_t mode) {
  Abandon();
  path_ = path;
  name_ = path.filename().string();
  replace_ = replace;
  Result<UniqueFd> dir = OpenDir(ParentOf(path), path);
  if (!dir) return dir.error();
  dir_ = std::move(*dir);
  if (!replace && ExistsAt(dir_.get(), name_)) {
    return Status(ErrorCode::kAlreadyExists, path.string() + ": already exists (use --force to replace it)");
  }
  RemoveStaleTemps(dir_.get(), name_);
  // Step 1: the temp file, never through a link, with exactly `mode` (the
  // umask may have narrowed it; it never widens a private one).
  Result<UniqueFd> fd = CreateTempAt(dir_.get(), name_, ".tmp", mode, &temp_, path);
  if (!fd) return fd.error();
  fd_ = std::move(*fd);
  if (fchmod(fd_.get(), mode) != 0) {
    Status status = ErrnoStatus("chmod " + (ParentOf(path) / temp_).string(), errno);
    Abandon();
    return status;
  }
  return Status::Ok();
}

Status AtomicFile::Append(std::string_view bytes) {
  if (fd_.get() < 0) return Status(ErrorCode::kInternal, "AtomicFile::Append without Open");
  Status status = WriteFd(fd_.get(), bytes, path_);
  if (!status.ok()) Abandon();
  return status;
}

Status AtomicFile::Commit() {
  if (fd_.get() < 0) return Status(ErrorCode::kInternal, "AtomicFile::Commit without Open");
  // Step 2: the content is durable before it gets the real name.
  if (fsync(fd_.get()) != 0) {
    Status status = ErrnoStatus("fsync " + path_.string(), errno);
    Abandon();
    return status;
  }
  if (fd_.Close() != 0) {
    Status status = ErrnoStatus("close " + path_.string(), errno);
    (void)unlinkat(dir_.get(), temp_.c_str(), 0);
    return status;
  }
  // Step 3: a target created meanwhile is not silently replaced; the rename
  // stays inside the folder opened in step 1 (a link under the name is
  // replaced, never written through).
  if (!replace_ && ExistsAt(dir_.get(), name_)) {
    (void)unlinkat(dir_.get(), temp_.c_str(), 0);
    return Status(ErrorCode::kAlreadyExists, path_.string() + ": appeared while being written; left as it is");
  }
  if (renameat(dir_.get(), temp_.c_str(), dir_.get(), name_.c_str()) != 0) {
    Status status = ErrnoStatus("rename " + temp_ + " to " + path_.string(), errno);
    (void)unlinkat(dir_.get(), temp_.c_str(), 0);
    return status;
  }
  return SyncDirFd(dir_.get(), ParentOf(path_));
}

// ---------------------------------------------------------------------------

StagedFolder::~StagedFolder() {
  if (open_) RemoveTreeAt(dir_.get(), staging_name_);
}

Status StagedFolder::Open(const fs::path& target, bool replace) {
  target_ = target;
  name_ = target.filename().string();
  replace_ = replace;
  Result<UniqueFd> dir = OpenDir(ParentOf(target), target);
  if (!dir) return dir.error();
  dir_ = std::move(*dir);
  RestoreMovedAside(dir_.get(), name_);
  struct stat st {};
  if (fstatat(dir_.get(), name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!replace) {
      return Status(ErrorCode::kAlreadyExists, target.string() + ": already exists (use --force to replace it)");
    }
    if (!S_ISDIR(st.st_mode)) {
      return Status(ErrorCode::kAlreadyExists, target.string() + ": exists and is not a folder; not replaced");
    }
  }
  RemoveStaleTemps(dir_.get(), name_);
  for (int attempt = 0; attempt < kTempNameTries && !open_; ++attempt) {
    staging_name_ = TempName(name_, ".staging");
    if (mkdirat(dir_.get(), staging_name_.c_str(), 0700) == 0) {
      open_ = true;
    } else if (errno != EEXIST) {
      return ErrnoStatus("create folder " + (ParentOf(target) / staging_name_).string(), errno);
    }
  }
  if (!open_) return Status(ErrorCode::kAlreadyExists, "create a staging folder beside " + target.string());
  staging_ = ParentOf(target) / staging_name_;
  Result<UniqueFd> staging = OpenFolderAt(dir_.get(), staging_name_, 0, staging_);
  if (!staging) return staging.error();
  staging_fd_ = std::move(*staging);
  return Status::Ok();
}

Result<UniqueFd> StagedFolder::CreateFile(std::string_view relative) {
  if (!open_) return Status(ErrorCode::kInternal, "StagedFolder::CreateFile without Open");
  if (!IsPlainRelativePath(relative)) {
    return Status(ErrorCode::kInvalidArgument,
                  "refusing to write \"" + std::string(relative) + "\": not a plain path inside the export");
  }
  const std::string path(relative);
  const size_t slash = path.rfind('/');
  const std::string folder = slash == std::string::npos ? "" : path.substr(0, slash);
  const std::string leaf = slash == std::string::npos ? path : path.substr(slash + 1);
  const fs::path shown = target_ / path;
  // Files of one folder come one after another: its descriptor is kept.
  if (folder_fd_.get() < 0 || folder != folder_) {
    folder_fd_.Close();
    Result<UniqueFd> opened = OpenFolderBeneath(staging_fd_.get(), folder, 0700, target_);
    if (!opened) return opened.error();
    folder_fd_ = std::move(*opened);
    folder_ = folder;
  }
  UniqueFd fd(openat(folder_fd_.get(), leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | kOpenFlags, 0600));
  if (fd.get() < 0) return ErrnoStatus("create " + shown.string(), errno);
  return fd;
}

Status StagedFolder::WriteFile(std::string_view relative, std::string_view bytes) {
  Result<UniqueFd> fd = CreateFile(relative);
  if (!fd) return fd.error();
  const fs::path shown = target_ / std::string(relative);
  HF_RETURN_IF_ERROR(WriteFd(fd->get(), bytes, shown));
  if (fd->Close() != 0) return ErrnoStatus("close " + shown.string(), errno);
  return Status::Ok();
}

Status StagedFolder::Commit() {
  if (!open_) return Status(ErrorCode::kInternal, "StagedFolder::Commit without Open");
  folder_fd_.Close();
  // Step 1: every file of the tree is durable before the tree gets its name.
  HF_RETURN_IF_ERROR(SyncFileSystemOf(staging_fd_.get(), staging_));
  const fs::path parent = ParentOf(target_);
  const int dir = dir_.get();
  if (replace_ && ExistsAt(dir, name_)) {
    // Steps 2 and 3 in one: the new tree and the old export swap names, so
    // that a kill at any moment leaves one whole export under the name.
    if (renameat2(dir, staging_name_.c_str(), dir, name_.c_str(), RENAME_EXCHANGE) == 0) {
      open_ = false;
      HF_RETURN_IF_ERROR(SyncDirFd(dir, parent));
      // Step 4: the old tree, now under the staging name, goes.
      RemoveTreeAt(dir, staging_name_);
      if (ExistsAt(dir, staging_name_)) return Status(ErrorCode::kIoError, "remove the replaced " + staging_.string());
      return Status::Ok();
    }
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
      return ErrnoStatus("swap " + staging_.string() + " with " + target_.string(), errno);
    }
  }
  // A file system without RENAME_EXCHANGE.
  // Step 2: an old export is moved aside, not deleted, until the new one is
  // in place (a kill here leaves it as ".old"; the next Open puts it back).
  std::string old;
  if (replace_ && ExistsAt(dir, name_)) {
    old = TempName(name_, ".old");
    if (renameat(dir, name_.c_str(), dir, old.c_str()) != 0) {
      return ErrnoStatus("move " + target_.string() + " aside", errno);
    }
  } else if (ExistsAt(dir, name_)) {
    return Status(ErrorCode::kAlreadyExists, target_.string() + ": appeared while being written; left as it is");
  }
  // Step 3: the new tree takes the name.
  if (renameat(dir, staging_name_.c_str(), dir, name_.c_str()) != 0) {
    Status status = ErrnoStatus("rename " + staging_.string() + " to " + target_.string(), errno);
    if (!old.empty()) (void)renameat(dir, old.c_str(), dir, name_.c_str());
    return status;
  }
  open_ = false;
  HF_RETURN_IF_ERROR(SyncDirFd(dir, parent));
  // Step 4: the old tree goes.
  if (!old.empty()) {
    RemoveTreeAt(dir, old);
    if (ExistsAt(dir, old)) return Status(ErrorCode::kIoError, "remove the replaced " + (parent / old).string());
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------

FileSet::~FileSet() { Abandon(); }

void FileSet::Abandon() {
  for (Pending& file : files_) {
    file.fd.Close();
    (void)unlinkat(file.folder->get(), file.temp_name.c_str(), 0);
  }
  files_.clear();
  pending_bytes_ = 0;
}

Result<std::shared_ptr<UniqueFd>> FileSet::FolderOf(const fs::path& path) {
  const fs::path folder = ParentOf(path);
  auto known = folders_.find(folder.string());
  if (known != folders_.end()) return known->second;
  Result<UniqueFd> opened = Status::Ok();
  if (root_.empty()) {
    // No root: the folder is taken as given (callers that name their own folder).
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) return ErrnoStatus("create folder " + folder.string(), ec.value());
    opened = OpenDir(folder, path);
  } else {
    if (root_fd_.get() < 0) {
      // The root is the caller's folder, made if gone (a device after a
      // reset) and opened as given; only what is below it is checked.
      std::error_code ec;
      fs::create_directories(root_, ec);
      if (ec) return ErrnoStatus("create folder " + root_.string(), ec.value());
      Result<UniqueFd> root = OpenDir(root_ / ".", root_);
      if (!root) return root.error();
      root_fd_ = std::move(*root);
    }
    const std::string relative = folder.lexically_relative(root_).generic_string();
    if (relative != "." && !IsPlainRelativePath(relative)) {
      return Status(ErrorCode::kInvalidArgument, path.string() + ": not inside " + root_.string() + "; not written");
    }
    opened = OpenFolderBeneath(root_fd_.get(), relative == "." ? "" : relative, 0755, root_);
  }
  if (!opened) return opened.error();
  auto fd = std::make_shared<UniqueFd>(std::move(*opened));
  folders_.emplace(folder.string(), fd);
  return fd;
}

Result<size_t> FileSet::Create(const fs::path& path) {
  // One file is written at a time: the previous one is closed, so that a set
  // of thousands of files does not hold thousands of descriptors.
  if (!files_.empty() && files_.back().fd.Close() != 0) {
    return ErrnoStatus("close " + files_.back().final_path.string(), errno);
  }
  // Each folder is opened (or made) once per set, not once per file.
  Result<std::shared_ptr<UniqueFd>> folder = FolderOf(path);
  if (!folder) return folder.error();
  Pending file;
  file.final_path = path;
  file.name = path.filename().string();
  file.folder = *folder;
  const int dir = file.folder->get();
  // A file replaced keeps the mode the device gave it; a new one gets 0644
  // as narrowed by the umask, as before.
  struct stat st {};
  const bool keep_mode =
      fstatat(dir, file.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
  const mode_t mode = keep_mode ? (st.st_mode & 07777) : 0644;
  // A random temp name each time, so that the same path written twice in a
  // set gets two temp files; the later one is renamed last and wins.
  Result<UniqueFd> fd = CreateTempAt(dir, file.name, ".tmp", keep_mode ? (mode & 0600) : mode, &file.temp_name, path);
  if (!fd) return fd.error();
  file.fd = std::move(*fd);
  if (keep_mode && fchmod(file.fd.get(), mode) != 0) {
    Status status = ErrnoStatus("chmod " + path.string(), errno);
    file.fd.Close();
    (void)unlinkat(dir, file.temp_name.c_str(), 0);
    return status;
  }
  files_.push_back(std::move(file));
  return files_.size() - 1;
}

void FileSet::Discard(size_t handle) {
  if (handle + 1 != files_.size()) return;
  Pending& file = files_.back();
  (void)file.fd.Close();
  (void)unlinkat(file.folder->get(), file.temp_name.c_str(), 0);
  files_.pop_back();
}

Status FileSet::Append(size_t handle, std::string_view bytes) {
  Pending& file = files_.at(handle);
  if (file.fd.get() < 0) return Status(ErrorCode::kInternal, "FileSet::Append to a closed file");
  pending_bytes_ += bytes.size();
  return WriteFd(file.fd.get(), bytes, file.final_path);
}

Status FileSet::Write(const fs::path& path, std::string_view bytes) {
  Result<size_t> handle = Create(path);
  if (!handle) return handle.error();
  return Append(*handle, bytes);
}

Status FileSet::Commit() {
  if (files_.empty()) return Status::Ok();
  for (Pending& file : files_) {
    if (file.fd.Close() != 0) {
      Status status = ErrnoStatus("close " + file.final_path.string(), errno);
      Abandon();
      return status;
    }
  }
  // Step 1: all content durable before any file takes its final name.
  Status status = SyncFileSystemOf(files_.front().folder->get(), ParentOf(files_.front().final_path));
  if (!status.ok()) {
    Abandon();
    return status;
  }
  // Step 2: each file replaces its final name in one rename, inside the
  // folder opened for it (a link put under the name is replaced, not followed).
  std::map<const UniqueFd*, fs::path> folders;
  size_t renamed = 0;
  for (; renamed < files_.size(); ++renamed) {
    Pending& file = files_[renamed];
    const int dir = file.folder->get();
    if (renameat(dir, file.temp_name.c_str(), dir, file.name.c_str()) != 0) {
      status = ErrnoStatus("rename " + file.temp_name + " to " + file.final_path.string(), errno);
      break;
    }
    folders.emplace(file.folder.get(), ParentOf(file.final_path));
  }
  for (size_t i = renamed; i < files_.size(); ++i) (void)unlinkat(files_[i].folder->get(), files_[i].temp_name.c_str(), 0);
  // Step 3: the new names are durable.
  for (const auto& [folder, shown] : folders) {
    Status synced = SyncDirFd(folder->get(), shown);
    if (status.ok() && !synced.ok()) status = synced;
  }
  files_.clear();
  folders_.clear();
  pending_bytes_ = 0;
  return status;
}

}  // namespace holdfast::platform
