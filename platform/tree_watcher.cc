#include "platform/tree_watcher.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace holdfast::platform {
namespace {

// What makes a folder's content differ for a capture. IN_MODIFY is left out:
// a file being written sends one per write, and its IN_CLOSE_WRITE follows.
// (So does an mtime set alone, without the atime: Linux reports that as
// IN_MODIFY; `touch` sets both, IN_ATTRIB. The rescan covers it.)
constexpr uint32_t kContentEvents = IN_CREATE | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB;
constexpr uint32_t kFolderMask = kContentEvents | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW |
                                 IN_EXCL_UNLINK | IN_MASK_ADD;

std::string Parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool IsFolder(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Result<TreeWatcher> TreeWatcher::Create() {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return ErrnoStatus("inotify_init1 (file change notification)", errno);
  // Readable always; POLLPRI when the mount table changes (proc(5)).
  int mounts = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  TreeWatcher watcher{UniqueFd(fd), UniqueFd(mounts)};
  watcher.MountsChanged();  // read once: the next POLLPRI means a change from now on
  return watcher;
}

bool TreeWatcher::AddOne(size_t root, const std::string& folder, int depth, uint32_t mask,
                         std::vector<std::string>* problems) {
  int wd = inotify_add_watch(inotify_.get(), folder.c_str(), mask);
  if (wd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return false;  // gone meanwhile: the rescan sees it
    std::string why = err == ENOSPC ? "the inotify watch limit (fs.inotify.max_user_watches) is reached"
                                    : std::strerror(err);
    problems->push_back(folder + ": not watched for changes (" + why + "); the periodic rescan covers it");
    return false;
  }
  std::vector<Watched>& at = watches_[wd];
  for (const Watched& w : at) {
    if (w.root == root && w.folder == folder) return true;
  }
  at.push_back(Watched{root, folder, depth});
  return true;
}

void TreeWatcher::AddTree(size_t root, const std::string& folder, int depth, std::vector<std::string>* problems) {
  if (!AddOne(root, folder, depth, kFolderMask, problems)) return;
  if (depth >= roots_[root].max_depth) return;
  DIR* dir = opendir(folder.c_str());
  if (dir == nullptr) return;  // unreadable: the capture reports it
  while (struct dirent* entry = readdir(dir)) {
    const char* name = entry->d_name;
    if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
    const std::string child = folder + "/" + name;
    const bool folder_entry = entry->d_type == DT_DIR || (entry->d_type == DT_UNKNOWN && IsFolder(child));
    if (folder_entry) AddTree(root, child, depth + 1, problems);
  }
  closedir(dir);
}

std::vector<std::string> TreeWatcher::Watch(int tag, const std::string& root, bool single_file, int max_depth) {
  std::vector<std::string> problems;
  roots_.push_back(Root{tag, root, single_file, max_depth});
  const size_t index = roots_.size() - 1;
  if (!single_file && IsFolder(root)) {
    AddTree(index, root, 0, &problems);
    return problems;
  }
  // A single file, or a root that is missing: watch the nearest folder that
  // exists above it, so that the file's (or the root's) arrival is seen.
  std::string folder = Parent(root);
  while (!IsFolder(folder) && folder != "/" && folder != ".") folder = Parent(folder);
  AddOne(index, folder, -1, kFolderMask, &problems);
  return problems;
}

void TreeWatcher::Clear() {
  for (const auto& [wd, watched] : watches_) inotify_rm_watch(inotify_.get(), wd);
  watches_.clear();
  roots_.clear();
  // Events still queued name descriptors now unknown: dropped by Read.
}

TreeWatcher::Events TreeWatcher::Read() {
  Events events;
  alignas(struct inotify_event) char buffer[16384];
  for (;;) {
    ssize_t n = read(inotify_.get(), buffer, sizeof buffer);
    if (n <= 0) break;  // EAGAIN: nothing more
    for (char* p = buffer; p < buffer + n;) {
      const auto* ev = reinterpret_cast<const struct inotify_event*>(p);
      p += sizeof(struct inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) {
        events.overflow = true;  // every root: the caller rescans everything
        continue;
      }
      auto found = watches_.find(ev->wd);
      if (found == watches_.end()) continue;
      if (ev->mask & IN_IGNORED) {  // the folder is gone (or unwatched)
        for (const Watched& w : found->second) {
          events.changed.insert(roots_[w.root].tag);
          events.full.insert(roots_[w.root].tag);
        }
        watches_.erase(found);
        continue;
      }
      const std::string name = ev->len > 0 ? std::string(ev->name) : std::string();
      // Copied: AddTree below may grow the map this entry lives in.
      const std::vector<Watched> watched = found->second;
      for (const Watched& w : watched) {
        const Root& root = roots_[w.root];
        const bool file_written = !(ev->mask & IN_ISDIR) && !name.empty() &&
                                  (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_ATTRIB)) != 0;
        // A file created is not a change yet: its IN_CLOSE_WRITE follows.
        if (w.depth >= 0 && !(ev->mask & IN_ISDIR) && (ev->mask & IN_CREATE)) continue;
        if (w.depth < 0) {
          // The parent of a single file or of a missing root: only events on
          // the path towards the root count.
          const std::string towards = w.folder == "/" ? "/" + name : w.folder + "/" + name;
          const bool on_path = towards == root.path || root.path.rfind(towards + "/", 0) == 0;
          if (!on_path) continue;
          events.changed.insert(root.tag);
          events.full.insert(root.tag);  // one file, or a root gone or back: look at all of it
          if (!root.single_file && (ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
            // A folder on the way to the root (or the root) appeared: watch
            // from the nearest existing folder again.
            const Root again = root;  // Watch grows roots_
            std::vector<std::string> problems = Watch(again.tag, again.path, false, again.max_depth);
            events.problems.insert(events.problems.end(), problems.begin(), problems.end());
          }
          continue;
        }
        events.changed.insert(root.tag);
        if (file_written) {
          const std::string below = w.folder.size() > root.path.size() ? w.folder.substr(root.path.size() + 1) + "/" : "";
          events.files[root.tag].insert(below + name);
        } else {
          events.full.insert(root.tag);
        }
        if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)) && w.depth < root.max_depth) {
          AddTree(w.root, w.folder + "/" + name, w.depth + 1, &events.problems);
        }
      }
    }
  }
  return events;
}

bool TreeWatcher::MountsChanged() {
  if (mounts_.get() < 0) return false;  // no /proc: the periodic rescan covers removable storage
  // proc(5): after POLLPRI, the file must be read again from the start for
  // the next change to be signalled.
  char buffer[4096];
  lseek(mounts_.get(), 0, SEEK_SET);
  bool any = false;
  while (read(mounts_.get(), buffer, sizeof buffer) > 0) any = true;
  return any;
}

}  // namespace holdfast::platform
