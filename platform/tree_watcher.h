// Change notification for the device's sources: inotify over folder trees.
//
// The agent (`holdfast run`) watches every source with one TreeWatcher and
// captures a source soon after the watcher says it changed. inotify is a hint,
// not a record: the queue can overflow, a folder can be replaced, removable
// storage can come and go. The watcher reports each of those (overflow, a
// root gone), and the agent's periodic full rescan catches whatever it misses.
//
// A root is a folder, watched with its subfolders down to a depth (new
// subfolders are added as they appear), or a single file, watched through its
// folder with events filtered by its name. Symlinks are never followed. A
// root that does not exist is not an error of the watcher: its nearest
// existing parent folder is watched instead, and any change there reports the
// root's tag, so the agent notices a source that comes back.
//
// Mount changes (an SD card inserted or removed) are seen through
// /proc/self/mountinfo (see MountsChanged).
//
// Not thread-safe: one thread owns a TreeWatcher. The file descriptors are
// non-blocking and close-on-exec; poll fd() (POLLIN) and mounts_fd()
// (POLLPRI) and call Read / MountsChanged when they are ready.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "platform/status.h"
#include "platform/unique_fd.h"

namespace holdfast::platform {

class TreeWatcher {
 public:
  // Errors: kIoError (inotify_init1 failed, e.g. the per-user instance limit).
  static Result<TreeWatcher> Create();

  // Starts watching `root` for `tag` (any number; several roots may share a
  // tag). `single_file`: the root is one file. `max_depth`: levels of
  // subfolders watched below a folder root (0: the root only).
  // Returns a problem text per folder that could not be watched (the inotify
  // watch limit, permission): those folders rely on the periodic rescan.
  std::vector<std::string> Watch(int tag, const std::string& root, bool single_file, int max_depth);

  // Drops every watch (before watching a new configuration).
  void Clear();

  struct Events {
    std::set<int> changed;          // tags with a change (including roots gone or come back)
    // Of those, what a capture must look at: for a tag in `full` the whole
    // root (something was deleted or moved away, a folder changed, the root
    // went or came); else only `files[tag]`, the files written, renamed into
    // place or touched, as paths relative to the root.
    std::set<int> full;
    std::map<int, std::set<std::string>> files;
    bool overflow = false;          // the kernel dropped events: rescan everything
    std::vector<std::string> problems;  // folders that could not be watched
  };
  // Reads every pending event without blocking.
  Events Read();

  // Call when mounts_fd() polled ready (POLLPRI: the mount table changed):
  // re-arms it, and returns false only when there is no mount table to read.
  // After a change every root should be watched again (Clear, Watch).
  bool MountsChanged();

  int fd() const { return inotify_.get(); }
  int mounts_fd() const { return mounts_.get(); }
  // Folders watched now (for status and tests).
  size_t watch_count() const { return watches_.size(); }

 private:
  TreeWatcher(UniqueFd inotify, UniqueFd mounts) : inotify_(std::move(inotify)), mounts_(std::move(mounts)) {}

  struct Root {
    int tag = 0;
    std::string path;
    bool single_file = false;
    int max_depth = 0;
  };
  struct Watched {
    size_t root = 0;      // index into roots_
    std::string folder;   // full path of the watched folder
    int depth = 0;        // below the root; -1: the parent of a single-file or missing root
  };

  void AddTree(size_t root, const std::string& folder, int depth, std::vector<std::string>* problems);
  bool AddOne(size_t root, const std::string& folder, int depth, uint32_t mask, std::vector<std::string>* problems);

  UniqueFd inotify_;
  UniqueFd mounts_;
  std::vector<Root> roots_;
  // By watch descriptor: one folder can serve several roots (two single-file
  // sources in one folder), and inotify gives it one descriptor.
  std::map<int, std::vector<Watched>> watches_;
};

}  // namespace holdfast::platform
