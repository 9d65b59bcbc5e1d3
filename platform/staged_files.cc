#include "platform/staged_files.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <set>
#include <string>
#include <system_error>

#include "platform/files.h"
#include "platform/sha256.h"

namespace holdfast::platform {
namespace {

namespace fs = std::filesystem;

fs::path ParentOf(const fs::path& path) {
  fs::path parent = path.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// Temp names must fit in NAME_MAX (255 bytes) whatever the target's name:
// a name of up to kMaxKeptNameBytes is kept (readable in a listing), a
// longer one becomes its first kCutNameBytes, '~' and 16 hex digits of its
// SHA-256 (exactly kMaxKeptNameBytes + 1 bytes, so that it never equals a
// kept name). With ".holdfast-", '.', a pid and the longest suffix (".N.tmp")
// that stays under 180 bytes.
constexpr size_t kMaxKeptNameBytes = 136;
constexpr size_t kCutNameBytes = kMaxKeptNameBytes - 16;

// ".holdfast-<name>.", the start of every temp name beside `target`.
std::string TempPrefix(const fs::path& target) {
  std::string name = target.filename().string();
  if (name.size() > kMaxKeptNameBytes) {
    name = name.substr(0, kCutNameBytes) + "~" + ToHex(Sha256Of(name)).substr(0, 16);
  }
  return ".holdfast-" + name + ".";
}

fs::path TempBeside(const fs::path& path, const char* suffix) {
  static const std::string pid = std::to_string(getpid());
  return ParentOf(path) / (TempPrefix(path) + pid + suffix);
}

bool Exists(const fs::path& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

// Flushes every dirty page of the file system holding `any_path`: one call
// instead of one fsync per file when thousands of files were written.
Status SyncFileSystemOf(const fs::path& any_path) {
  UniqueFd fd(open(any_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("open " + any_path.string(), errno);
  if (syncfs(fd.get()) != 0) return ErrnoStatus("syncfs " + any_path.string(), errno);
  return Status::Ok();
}

// Folders are made 0755: these are the user's own exports and device folders.
Status MakeFolders(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return ErrnoStatus("create folder " + dir.string(), ec.value());
  return Status::Ok();
}

// For an entry named "<prefix><pid>.<suffix>" (prefix TempPrefix, see
// TempBeside) whose process is gone, its suffix; otherwise nothing: the
// entry belongs to a live process, this one, or is not ours.
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

// Removes what an export of the same target left when it was killed:
// ".holdfast-<name>.<pid>.<suffix>" entries whose process is gone.
void RemoveStaleTemps(const fs::path& target) {
  const std::string prefix = TempPrefix(target);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ParentOf(target), ec)) {
    if (!LeftByDeadProcess(entry.path().filename().string(), prefix)) continue;
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
  }
}

// Puts back an export that a replacing StagedFolder, killed between moving
// it aside and renaming the new tree into place (the fallback of Commit for
// file systems without RENAME_EXCHANGE), left as "<name>.<pid>.old" of a
// dead process while no tree holds the name: it is a completed export, the
// only one there is. Once the target exists, such a leftover is an old
// tree and RemoveStaleTemps deletes it.
void RestoreMovedAside(const fs::path& target) {
  if (Exists(target)) return;
  const std::string prefix = TempPrefix(target);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ParentOf(target), ec)) {
    if (LeftByDeadProcess(entry.path().filename().string(), prefix) != "old") continue;
    if (rename(entry.path().c_str(), target.c_str()) == 0) {
      (void)SyncDir(ParentOf(target));
      return;
    }
  }
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

UniqueFd::~UniqueFd() { Close(); }

int UniqueFd::Close() {
  if (fd_ < 0) return 0;
  int rc = close(fd_);
  fd_ = -1;
  return rc;
}

// ---------------------------------------------------------------------------

AtomicFile::~AtomicFile() { Abandon(); }

void AtomicFile::Abandon() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
    unlink(temp_.c_str());
  }
}

Status AtomicFile::Open(const fs::path& path, bool replace, mode_t mode) {
  Abandon();
  path_ = path;
  replace_ = replace;
  if (!replace && Exists(path)) {
    return Status(ErrorCode::kAlreadyExists, path.string() + ": already exists (use --force to replace it)");
  }
  RemoveStaleTemps(path);
  temp_ = TempBeside(path, ".tmp");
  fd_ = open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd_ < 0) return ErrnoStatus("create " + temp_.string(), errno);
  return Status::Ok();
}

Status AtomicFile::Append(std::string_view bytes) {
  if (fd_ < 0) return Status(ErrorCode::kInternal, "AtomicFile::Append without Open");
  Status status = WriteFd(fd_, bytes, temp_);
  if (!status.ok()) Abandon();
  return status;
}

Status AtomicFile::Commit() {
  if (fd_ < 0) return Status(ErrorCode::kInternal, "AtomicFile::Commit without Open");
  // Step 2: the content is durable before it gets the real name.
  if (fsync(fd_) != 0) {
    Status status = ErrnoStatus("fsync " + temp_.string(), errno);
    Abandon();
    return status;
  }
  int rc = close(fd_);
  fd_ = -1;
  if (rc != 0) {
    Status status = ErrnoStatus("close " + temp_.string(), errno);
    unlink(temp_.c_str());
    return status;
  }
  // Step 3: a target created meanwhile is not silently replaced.
  if (!replace_ && Exists(path_)) {
    unlink(temp_.c_str());
    return Status(ErrorCode::kAlreadyExists, path_.string() + ": appeared while being written; left as it is");
  }
  if (rename(temp_.c_str(), path_.c_str()) != 0) {
    Status status = ErrnoStatus("rename " + temp_.string() + " to " + path_.string(), errno);
    unlink(temp_.c_str());
    return status;
  }
  return SyncDir(ParentOf(path_));
}

// ---------------------------------------------------------------------------

StagedFolder::~StagedFolder() {
  if (open_) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
}

Status StagedFolder::Open(const fs::path& target, bool replace) {
  target_ = target;
  replace_ = replace;
  RestoreMovedAside(target);
  struct stat st {};
  if (lstat(target.c_str(), &st) == 0) {
    if (!replace) {
      return Status(ErrorCode::kAlreadyExists, target.string() + ": already exists (use --force to replace it)");
    }
    if (!S_ISDIR(st.st_mode)) {
      return Status(ErrorCode::kAlreadyExists, target.string() + ": exists and is not a folder; not replaced");
    }
  }
  const fs::path parent = ParentOf(target);
  if (stat(parent.c_str(), &st) != 0) return ErrnoStatus("folder " + parent.string(), errno);
  RemoveStaleTemps(target);
  staging_ = TempBeside(target, ".staging");
  std::error_code ec;
  fs::remove_all(staging_, ec);  // a leftover of this pid from an earlier crash
  if (mkdir(staging_.c_str(), 0755) != 0) return ErrnoStatus("create folder " + staging_.string(), errno);
  open_ = true;
  return Status::Ok();
}

Result<UniqueFd> StagedFolder::CreateFile(std::string_view relative) {
  if (!open_) return Status(ErrorCode::kInternal, "StagedFolder::CreateFile without Open");
  if (!IsPlainRelativePath(relative)) {
    return Status(ErrorCode::kInvalidArgument,
                  "refusing to write \"" + std::string(relative) + "\": not a plain path inside the export");
  }
  const fs::path path = staging_ / fs::path(std::string(relative));
  HF_RETURN_IF_ERROR(MakeFolders(path.parent_path()));
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return ErrnoStatus("create " + (target_ / std::string(relative)).string(), errno);
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
  // Step 1: every file of the tree is durable before the tree gets its name.
  HF_RETURN_IF_ERROR(SyncFileSystemOf(staging_));
  const fs::path parent = ParentOf(target_);
  if (replace_ && Exists(target_)) {
    // Steps 2 and 3 in one: the new tree and the old export swap names, so
    // that a kill at any moment leaves one whole export under the name.
    if (renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
      open_ = false;
      HF_RETURN_IF_ERROR(SyncDir(parent));
      // Step 4: the old tree, now under the staging name, goes.
      std::error_code ec;
      fs::remove_all(staging_, ec);
      if (ec) return ErrnoStatus("remove the replaced " + staging_.string(), ec.value());
      return Status::Ok();
    }
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
      return ErrnoStatus("swap " + staging_.string() + " with " + target_.string(), errno);
    }
  }
  // A file system without RENAME_EXCHANGE.
  // Step 2: an old export is moved aside, not deleted, until the new one is
  // in place (a kill here leaves it as ".old"; the next Open puts it back).
  fs::path old;
  if (replace_ && Exists(target_)) {
    old = TempBeside(target_, ".old");
    std::error_code ec;
    fs::remove_all(old, ec);
    if (rename(target_.c_str(), old.c_str()) != 0) {
      return ErrnoStatus("move " + target_.string() + " aside", errno);
    }
  } else if (Exists(target_)) {
    return Status(ErrorCode::kAlreadyExists, target_.string() + ": appeared while being written; left as it is");
  }
  // Step 3: the new tree takes the name.
  if (rename(staging_.c_str(), target_.c_str()) != 0) {
    Status status = ErrnoStatus("rename " + staging_.string() + " to " + target_.string(), errno);
    if (!old.empty()) (void)rename(old.c_str(), target_.c_str());
    return status;
  }
  open_ = false;
  HF_RETURN_IF_ERROR(SyncDir(parent));
  // Step 4: the old tree goes.
  if (!old.empty()) {
    std::error_code ec;
    fs::remove_all(old, ec);
    if (ec) return ErrnoStatus("remove the replaced " + old.string(), ec.value());
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------

FileSet::~FileSet() { Abandon(); }

void FileSet::Abandon() {
  for (Pending& file : files_) {
    file.fd.Close();
    unlink(file.temp_path.c_str());
  }
  files_.clear();
  pending_bytes_ = 0;
}

Result<size_t> FileSet::Create(const fs::path& path) {
  // One file is written at a time: the previous one is closed, so that a set
  // of thousands of files does not hold thousands of descriptors.
  if (!files_.empty() && files_.back().fd.Close() != 0) {
    return ErrnoStatus("close " + files_.back().temp_path.string(), errno);
  }
  // Each folder is made (or found) once per set, not once per file.
  const fs::path folder = ParentOf(path);
  if (made_folders_.count(folder.string()) == 0) {
    HF_RETURN_IF_ERROR(MakeFolders(folder));
    made_folders_.insert(folder.string());
  }
  Pending file;
  file.final_path = path;
  // Numbered, so that the same path written twice in a set gets two temp
  // files; the later one is renamed last and wins.
  file.temp_path = TempBeside(path, ("." + std::to_string(files_.size()) + ".tmp").c_str());
  file.fd = UniqueFd(open(file.temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (file.fd.get() < 0) return ErrnoStatus("create " + file.temp_path.string(), errno);
  files_.push_back(std::move(file));
  return files_.size() - 1;
}

void FileSet::Discard(size_t handle) {
  if (handle + 1 != files_.size()) return;
  Pending& file = files_.back();
  (void)file.fd.Close();
  unlink(file.temp_path.c_str());
  files_.pop_back();
}

Status FileSet::Append(size_t handle, std::string_view bytes) {
  Pending& file = files_.at(handle);
  if (file.fd.get() < 0) return Status(ErrorCode::kInternal, "FileSet::Append to a closed file");
  pending_bytes_ += bytes.size();
  return WriteFd(file.fd.get(), bytes, file.temp_path);
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
      Status status = ErrnoStatus("close " + file.temp_path.string(), errno);
      Abandon();
      return status;
    }
  }
  // Step 1: all content durable before any file takes its final name.
  Status status = SyncFileSystemOf(ParentOf(files_.front().temp_path));
  if (!status.ok()) {
    Abandon();
    return status;
  }
  // Step 2: each file replaces its final name in one rename.
  std::set<fs::path> folders;
  size_t renamed = 0;
  for (; renamed < files_.size(); ++renamed) {
    Pending& file = files_[renamed];
    if (rename(file.temp_path.c_str(), file.final_path.c_str()) != 0) {
      status = ErrnoStatus("rename " + file.temp_path.string() + " to " + file.final_path.string(), errno);
      break;
    }
    folders.insert(ParentOf(file.final_path));
  }
  for (size_t i = renamed; i < files_.size(); ++i) unlink(files_[i].temp_path.c_str());
  files_.clear();
  pending_bytes_ = 0;
  // Step 3: the new names are durable.
  for (const fs::path& folder : folders) {
    Status synced = SyncDir(folder);
    if (status.ok() && !synced.ok()) status = synced;
  }
  return status;
}

}  // namespace holdfast::platform
