// Writing many files so that a failure or a power cut never leaves a
// half-written one: what export and restore-device use outside SQLite.
//
// Three shapes, each with the same promise (nothing half-written is ever
// visible under the final name; on failure the temp files are removed):
//   AtomicFile     one file written as a stream: temp name, fsync, rename,
//                  folder fsync (platform/files.h does the same for bytes
//                  already in memory).
//   StagedFolder   a whole folder tree built under a temp name beside the
//                  target, flushed with one syncfs(2), then renamed into place.
//   FileSet        files written into existing folders (a device's vdir),
//                  each under a hidden temp name beside its final name; Commit
//                  flushes them all with one syncfs(2), renames each, and
//                  fsyncs each folder.
//
// Never outside the folder given: every write is made relative to a folder
// descriptor (openat, mkdirat, renameat, unlinkat). The folder named by the
// caller (an export's parent, a device source's root) is opened as given;
// every folder below it is opened with O_NOFOLLOW, so a symbolic link put in
// place of a folder, a file or a temp name, before or while a writer runs,
// is refused or replaced, never written through.
//
// Temp names are those of platform/temp_name.h (".holdfast-<name>.<pid>.
// <16 random hex digits><suffix>"), created with O_CREAT|O_EXCL|O_NOFOLLOW:
// nobody can plant a link under a name ahead of time, and one planted anyway
// is never opened. A process killed mid-write leaves its
// temp name behind; AtomicFile and StagedFolder remove those of dead
// processes (the pid) for the same target when they open (StagedFolder
// first puts back a replaced export that a kill left moved aside).
// Not thread-safe; one owner.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "platform/files.h"
#include "platform/status.h"
#include "platform/unique_fd.h"

namespace holdfast::platform {

// One file written piece by piece and published atomically.
//   1. Open opens `path`'s folder and creates a temp file in it (O_EXCL,
//      O_NOFOLLOW), mode exactly `mode` (export passes 0600)
//   2. Append writes to it
//   3. Commit fsyncs it, renames it over the name inside the folder opened
//      in step 1 (a link under the name is replaced), fsyncs that folder
// Destroying it uncommitted removes the temp file. Crash tests:
// tests/unit/platform/staged_files_test.cc checks each step's leftovers.
class AtomicFile {
 public:
  AtomicFile() = default;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  // Errors: kAlreadyExists if `path` exists and !replace; kNotFound if its
  // folder is missing; kPermission, kNoSpace, kIoError naming the file.
  Status Open(const std::filesystem::path& path, bool replace, mode_t mode = 0600);
  Status Append(std::string_view bytes);
  // The temp file's descriptor, for libraries that write to an fd.
  int fd() const { return fd_.get(); }
  Status Commit();

 private:
  void Abandon();
  std::filesystem::path path_;
  std::string name_;  // path_'s last component
  std::string temp_;  // the temp file's name in dir_
  UniqueFd dir_;
  UniqueFd fd_;
  bool replace_ = false;
};

// A folder tree built aside and moved into place in one rename.
class StagedFolder {
 public:
  StagedFolder() = default;
  StagedFolder(const StagedFolder&) = delete;
  StagedFolder& operator=(const StagedFolder&) = delete;
  ~StagedFolder();

  // Opens `target`'s parent and makes a staging folder in it (mode 0700;
  // files in it are 0600: an export holds all the user's data). Errors:
  // kAlreadyExists if `target` exists and !replace, or is not a folder (a
  // link included); kNotFound if its parent is missing.
  Status Open(const std::filesystem::path& target, bool replace);
  // The folder to write into (a temp name until Commit).
  const std::filesystem::path& root() const { return staging_; }
  // Writes one file at `relative` (a '/'-separated path inside the tree,
  // folders created as needed). kInvalidArgument for an absolute path or one
  // with "..", so that a hostile name cannot escape the tree; folders are
  // opened from the staging folder with O_NOFOLLOW, so a link swapped in
  // cannot either.
  Status WriteFile(std::string_view relative, std::string_view bytes);
  // Opens one file for streaming into it.
  Result<UniqueFd> CreateFile(std::string_view relative);
  // 1. syncfs: every file of the tree is on disk
  // 2+3. replacing: the tree and the existing target swap names in one
  //    rename (RENAME_EXCHANGE), the parent fsynced; where the file system
  //    cannot swap, the target is renamed aside to ".old", then the tree to
  //    `target`, and Open puts an ".old" of a dead process back if a kill
  //    came between the two
  // 4. the old target is removed
  // A kill at any step leaves the old export or the new one whole under
  // `target` (tests/unit/platform/staged_files_test.cc, and the export part
  // of tests/crash/kill_campaign_test.cc).
  Status Commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path staging_;  // for messages
  std::string name_;               // target_'s last component
  std::string staging_name_;       // in dir_
  UniqueFd dir_;                   // target_'s parent
  UniqueFd staging_fd_;
  std::string folder_;             // the folder of the last file created, and its descriptor
  UniqueFd folder_fd_;
  bool replace_ = false;
  bool open_ = false;
};

// Files written into existing folders, published together by Commit.
class FileSet {
 public:
  // Without a root, each file's folder is taken as given (and made if
  // missing): for callers whose paths name their own folder.
  FileSet() = default;
  // Every path given to Create must be inside `root` (a device source): the
  // root is made if missing and opened once as given, and every folder below it with O_NOFOLLOW
  // from there, so that nothing is written outside it whatever links appear.
  explicit FileSet(std::filesystem::path root) : root_(std::move(root)) {}
  FileSet(const FileSet&) = delete;
  FileSet& operator=(const FileSet&) = delete;
  ~FileSet();

  // Starts a file at `path`; its parent folders are created (0755) if
  // missing. A file that exists keeps its mode when replaced; a new one is
  // 0644 less the umask. Returns a handle for Append, valid until the next
  // Create (files are written one at a time). Errors name the path:
  // kInvalidArgument for a link where a folder should be (not followed) or
  // a path outside the root; kAlreadyExists for a file there.
  Result<size_t> Create(const std::filesystem::path& path);
  Status Append(size_t handle, std::string_view bytes);
  // Drops the file of `handle` (the last one created) and its temp file, so
  // that one file that cannot be written does not stop the others of the
  // set. A handle that is not the last one is left alone.
  void Discard(size_t handle);
  // Create and Append in one.
  Status Write(const std::filesystem::path& path, std::string_view bytes);
  size_t pending() const { return files_.size(); }
  uint64_t pending_bytes() const { return pending_bytes_; }
  // Folders held open for the files pending (one descriptor each, until
  // Commit): a caller writing many folders commits when this grows.
  size_t open_folders() const { return folders_.size(); }
  // 1. syncfs of the file system holding the files
  // 2. each temp file renamed to its final name within its folder's
  //    descriptor (replacing what is there; a link is replaced, not followed)
  // 3. each folder that gained a name fsynced through its descriptor
  // Crash tests: tests/crash/file_cut_test.cc ("restore-device leaves each
  // device file old or new") cuts power at each step.
  // On error, the files not yet renamed are removed; those renamed stay.
  Status Commit();
  // Removes every temp file not yet committed.
  void Abandon();

 private:
  struct Pending {
    std::filesystem::path final_path;  // for messages
    std::string name;                  // in folder
    std::string temp_name;             // in folder
    std::shared_ptr<UniqueFd> folder;
    UniqueFd fd;
  };
  // The folder of `path`, opened (made if missing) once per set.
  Result<std::shared_ptr<UniqueFd>> FolderOf(const std::filesystem::path& path);
  std::filesystem::path root_;
  UniqueFd root_fd_;
  std::vector<Pending> files_;
  uint64_t pending_bytes_ = 0;
  // Open folders of the files pending, by path: one descriptor per folder
  // until Commit.
  std::map<std::string, std::shared_ptr<UniqueFd>> folders_;
};

}  // namespace holdfast::platform
