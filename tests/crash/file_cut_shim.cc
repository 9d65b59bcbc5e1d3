#include "tests/crash/file_cut_shim.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace holdfast::testing {
namespace {

namespace fs = std::filesystem;

template <typename F>
F RealCall(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

struct Real {
  int (*open)(const char*, int, ...) = RealCall<int (*)(const char*, int, ...)>("open");
  int (*open64)(const char*, int, ...) = RealCall<int (*)(const char*, int, ...)>("open64");
  int (*openat)(int, const char*, int, ...) = RealCall<int (*)(int, const char*, int, ...)>("openat");
  int (*openat64)(int, const char*, int, ...) = RealCall<int (*)(int, const char*, int, ...)>("openat64");
  int (*renameat)(int, const char*, int, const char*) = RealCall<int (*)(int, const char*, int, const char*)>("renameat");
  int (*unlinkat)(int, const char*, int) = RealCall<int (*)(int, const char*, int)>("unlinkat");
  int (*mkdirat)(int, const char*, mode_t) = RealCall<int (*)(int, const char*, mode_t)>("mkdirat");
  ssize_t (*write)(int, const void*, size_t) = RealCall<ssize_t (*)(int, const void*, size_t)>("write");
  int (*fsync)(int) = RealCall<int (*)(int)>("fsync");
  int (*fdatasync)(int) = RealCall<int (*)(int)>("fdatasync");
  int (*syncfs)(int) = RealCall<int (*)(int)>("syncfs");
  int (*rename)(const char*, const char*) = RealCall<int (*)(const char*, const char*)>("rename");
  int (*renameat2)(int, const char*, int, const char*, unsigned) =
      RealCall<int (*)(int, const char*, int, const char*, unsigned)>("renameat2");
  int (*unlink)(const char*) = RealCall<int (*)(const char*)>("unlink");
  int (*remove)(const char*) = RealCall<int (*)(const char*)>("remove");
  int (*mkdir)(const char*, mode_t) = RealCall<int (*)(const char*, mode_t)>("mkdir");
  int (*rmdir)(const char*) = RealCall<int (*)(const char*)>("rmdir");
};

Real& R() {
  static Real real;
  return real;
}

enum class OpKind { kCreate, kMkdir, kRename, kExchange, kRemoveFile, kRemoveDir };

// A name operation, with what undoing it needs.
struct NameOp {
  OpKind kind;
  std::string a, b;          // the path (rename: from a to b)
  bool replaced = false;     // rename over an existing file b
  std::string old_bytes;     // that file's bytes, or a removed file's
  std::string parent_a, parent_b;
};

// A file with bytes not yet durable.
struct Volatile {
  std::string path;     // where the file is now
  std::string durable;  // its bytes as the disk holds them
};

struct State {
  bool armed = false;
  FileCutPlan plan;
  std::function<void()> on_cut;
  uint64_t events = 0;
  std::map<int, std::pair<std::string, bool>> fds;  // fd -> (path, is folder)
  std::map<ino_t, Volatile> volatile_files;
  std::vector<NameOp> log;
  size_t durable_ops = 0;
};

State& S() {
  static State* state = new State;
  return *state;
}

bool Watched(const char* path) {
  State& s = S();
  if (!s.armed || path == nullptr) return false;
  std::string p = fs::absolute(path).lexically_normal().string();
  std::string root = s.plan.watched.string();
  return p.compare(0, root.size(), root) == 0;
}

std::string Absolute(const char* path) { return fs::absolute(path).lexically_normal().string(); }
std::string Parent(const std::string& path) { return fs::path(path).parent_path().string(); }

std::string ReadAll(const std::string& path) {
  std::string bytes;
  int fd = R().open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return bytes;
  char buffer[65536];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) bytes.append(buffer, static_cast<size_t>(n));
  close(fd);
  return bytes;
}

void WriteAll(const std::string& path, const std::string& bytes) {
  int fd = R().open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = R().write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
}

bool IsDir(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Remembers a file's durable bytes before its first volatile change.
void BeforeDataChange(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return;
  State& s = S();
  if (s.volatile_files.count(st.st_ino) == 0) s.volatile_files[st.st_ino] = Volatile{path, ReadAll(path)};
}

void MovePaths(const std::string& from, const std::string& to) {
  for (auto& [ino, v] : S().volatile_files) {
    if (v.path == from) {
      v.path = to;
    } else if (v.path.compare(0, from.size() + 1, from + "/") == 0) {
      v.path = to + v.path.substr(from.size());
    }
  }
}

[[noreturn]] void CutPower() {
  State& s = S();
  s.armed = false;  // from here the shim's own calls pass through
  std::mt19937_64 rng(s.plan.seed * 0x9E3779B97F4A7C15ull + 3);
  // 1. Each file's volatile bytes meet their fate.
  for (auto& [ino, v] : s.volatile_files) {
    struct stat st {};
    if (stat(v.path.c_str(), &st) != 0 || st.st_ino != ino) continue;  // removed since
    int fate = s.plan.seed == 0 ? 0 : s.plan.seed == 1 ? 1 : static_cast<int>(rng() % 3);
    if (fate == 1) {
      WriteAll(v.path, v.durable);
    } else if (fate == 2) {
      std::string now = ReadAll(v.path);
      size_t keep = now.empty() ? 0 : rng() % now.size();
      std::string torn = now.substr(0, keep);
      while (torn.size() < now.size()) torn += static_cast<char>(rng());
      WriteAll(v.path, torn);
    }
  }
  // 2. A prefix of the volatile name operations survives; the rest is undone.
  size_t keep = s.log.size();
  if (s.plan.seed == 1) {
    keep = s.durable_ops;
  } else if (s.plan.seed != 0) {
    keep = s.durable_ops + rng() % (s.log.size() - s.durable_ops + 1);
  }
  for (size_t i = s.log.size(); i > keep; --i) {
    const NameOp& op = s.log[i - 1];
    std::error_code ec;
    switch (op.kind) {
      case OpKind::kCreate: R().unlink(op.a.c_str()); break;
      case OpKind::kMkdir: fs::remove_all(op.a, ec); break;
      case OpKind::kRename:
        R().rename(op.b.c_str(), op.a.c_str());
        if (op.replaced) WriteAll(op.b, op.old_bytes);
        break;
      case OpKind::kExchange: R().renameat2(AT_FDCWD, op.a.c_str(), AT_FDCWD, op.b.c_str(), RENAME_EXCHANGE); break;
      case OpKind::kRemoveFile: WriteAll(op.a, op.old_bytes); break;
      case OpKind::kRemoveDir: R().mkdir(op.a.c_str(), 0755); break;
    }
  }
  if (s.on_cut) s.on_cut();
  _exit(98);
}

// Counts an event on a watched path; cuts instead of doing it when its turn comes.
void Event() {
  State& s = S();
  ++s.events;
  if (s.plan.cut_at_event != 0 && s.events == s.plan.cut_at_event) CutPower();
}

void LogOp(NameOp op) {
  op.parent_a = Parent(op.a);
  op.parent_b = op.b.empty() ? op.parent_a : Parent(op.b);
  S().log.push_back(std::move(op));
}

// The path a descriptor stands for: as the shim saw it opened, or as the
// kernel names it (a descriptor duplicated or opened before arming).
std::string PathOfFd(int fd) {
  auto it = S().fds.find(fd);
  if (it != S().fds.end()) return it->second.first;
  char link[4096];
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = readlink(proc.c_str(), link, sizeof link - 1);
  return n > 0 ? std::string(link, static_cast<size_t>(n)) : std::string();
}

// The path that `name` relative to `dir_fd` stands for ("" if unknown).
std::string PathAt(int dir_fd, const char* name) {
  if (name == nullptr) return "";
  if (name[0] == '/' || dir_fd == AT_FDCWD) return Absolute(name);
  const std::string dir = PathOfFd(dir_fd);
  return dir.empty() || dir[0] != '/' ? std::string() : (fs::path(dir) / name).lexically_normal().string();
}

template <typename Real>
int OpenCommon(Real real, const char* path, int flags, mode_t mode) {
  if (!Watched(path)) return real(path, flags, mode);
  std::string p = Absolute(path);
  bool existed = access(p.c_str(), F_OK) == 0;
  bool creates = (flags & O_CREAT) != 0 && !existed;
  bool truncates = existed && (flags & O_TRUNC) != 0 && !IsDir(p);
  if (creates || truncates) Event();
  if (truncates) BeforeDataChange(p);
  int fd = real(path, flags, mode);
  if (fd < 0) return fd;
  if (creates) {
    LogOp({OpKind::kCreate, p, "", false, "", "", ""});
    struct stat st {};
    if (fstat(fd, &st) == 0) S().volatile_files[st.st_ino] = Volatile{p, ""};
  }
  S().fds[fd] = {p, IsDir(p)};
  return fd;
}

int SyncCommon(int (*real)(int), int fd) {
  State& s = S();
  if (!s.armed) return real(fd);
  auto it = s.fds.find(fd);
  if (it == s.fds.end()) {
    const std::string p = PathOfFd(fd);
    if (p.empty() || !Watched(p.c_str())) return real(fd);
    it = s.fds.emplace(fd, std::make_pair(p, IsDir(p))).first;
  }
  Event();
  int rc = real(fd);
  if (rc != 0) return rc;
  if (it->second.second) {
    // A folder fsync: its name operations, and all logged before them, are durable.
    for (size_t i = s.log.size(); i > s.durable_ops; --i) {
      if (s.log[i - 1].parent_a == it->second.first || s.log[i - 1].parent_b == it->second.first) {
        s.durable_ops = i;
        break;
      }
    }
  } else {
    struct stat st {};
    if (fstat(fd, &st) == 0) s.volatile_files.erase(st.st_ino);
  }
  return rc;
}

template <typename Real>
int RemoveCommon(Real real, const char* path, bool want_dir) {
  if (!Watched(path)) return real(path);
  std::string p = Absolute(path);
  bool dir = IsDir(p);
  if (want_dir && !dir) return real(path);
  Event();
  std::string bytes = dir ? "" : ReadAll(p);
  int rc = real(path);
  if (rc == 0) LogOp({dir ? OpKind::kRemoveDir : OpKind::kRemoveFile, p, "", false, bytes, "", ""});
  return rc;
}

}  // namespace

void ArmFileCuts(const FileCutPlan& plan, std::function<void()> on_cut) {
  State& s = S();
  s.plan = plan;
  s.plan.watched = fs::absolute(plan.watched).lexically_normal();
  s.on_cut = std::move(on_cut);
  s.events = 0;
  s.log.clear();
  s.durable_ops = 0;
  s.volatile_files.clear();
  s.fds.clear();
  s.armed = true;
}

void DisarmFileCuts() { S().armed = false; }

uint64_t FileCutEvents() { return S().events; }

}  // namespace holdfast::testing

extern "C" {

// open's optional third argument, present only when the flags create a file.
#define HOLDFAST_OPEN_MODE(flags, mode)                                    \
  mode_t mode = 0;                                                         \
  if (((flags) & O_CREAT) != 0 || ((flags) & O_TMPFILE) == O_TMPFILE) {    \
    va_list args;                                                          \
    va_start(args, flags);                                                 \
    mode = static_cast<mode_t>(va_arg(args, int));                         \
    va_end(args);                                                          \
  }

int open(const char* path, int flags, ...) {
  HOLDFAST_OPEN_MODE(flags, mode)
  return holdfast::testing::OpenCommon(holdfast::testing::R().open, path, flags, mode);
}

int open64(const char* path, int flags, ...) {
  HOLDFAST_OPEN_MODE(flags, mode)
  return holdfast::testing::OpenCommon(holdfast::testing::R().open64, path, flags, mode);
}

// The *at calls are modelled as the same call on the path they resolve to;
// the real call is still made relative to the descriptor.
int openat(int dir_fd, const char* path, int flags, ...) {
  using namespace holdfast::testing;
  HOLDFAST_OPEN_MODE(flags, mode)
  const std::string p = PathAt(dir_fd, path);
  if (p.empty()) return R().openat(dir_fd, path, flags, mode);
  return OpenCommon([&](const char*, int f, mode_t m) { return R().openat(dir_fd, path, f, m); }, p.c_str(), flags,
                    mode);
}

int openat64(int dir_fd, const char* path, int flags, ...) {
  using namespace holdfast::testing;
  HOLDFAST_OPEN_MODE(flags, mode)
  const std::string p = PathAt(dir_fd, path);
  if (p.empty()) return R().openat64(dir_fd, path, flags, mode);
  return OpenCommon([&](const char*, int f, mode_t m) { return R().openat64(dir_fd, path, f, m); }, p.c_str(), flags,
                    mode);
}

ssize_t write(int fd, const void* data, size_t size) {
  using namespace holdfast::testing;
  State& s = S();
  auto it = s.fds.find(fd);
  if (!s.armed || it == s.fds.end() || it->second.second) return R().write(fd, data, size);
  Event();
  BeforeDataChange(it->second.first);
  return R().write(fd, data, size);
}

int close(int fd) {
  holdfast::testing::S().fds.erase(fd);
  static auto real = holdfast::testing::RealCall<int (*)(int)>("close");
  return real(fd);
}

int fsync(int fd) { return holdfast::testing::SyncCommon(holdfast::testing::R().fsync, fd); }
int fdatasync(int fd) { return holdfast::testing::SyncCommon(holdfast::testing::R().fdatasync, fd); }

int syncfs(int fd) {
  using namespace holdfast::testing;
  State& s = S();
  if (!s.armed) return R().syncfs(fd);
  Event();
  int rc = R().syncfs(fd);
  if (rc == 0) {
    s.volatile_files.clear();
    s.durable_ops = s.log.size();
  }
  return rc;
}

int rename(const char* from, const char* to) {
  using namespace holdfast::testing;
  if (!Watched(from) && !Watched(to)) return R().rename(from, to);
  std::string a = Absolute(from), b = Absolute(to);
  Event();
  bool replaced = access(b.c_str(), F_OK) == 0 && !IsDir(b);
  std::string old_bytes = replaced ? ReadAll(b) : "";
  int rc = R().rename(from, to);
  if (rc == 0) {
    LogOp({OpKind::kRename, a, b, replaced, old_bytes, "", ""});
    MovePaths(a, b);
  }
  return rc;
}

int renameat(int from_dir, const char* from, int to_dir, const char* to) {
  using namespace holdfast::testing;
  const std::string a = PathAt(from_dir, from), b = PathAt(to_dir, to);
  if (a.empty() || b.empty() || (!Watched(a.c_str()) && !Watched(b.c_str()))) {
    return R().renameat(from_dir, from, to_dir, to);
  }
  Event();
  bool replaced = access(b.c_str(), F_OK) == 0 && !IsDir(b);
  std::string old_bytes = replaced ? ReadAll(b) : "";
  int rc = R().renameat(from_dir, from, to_dir, to);
  if (rc == 0) {
    LogOp({OpKind::kRename, a, b, replaced, old_bytes, "", ""});
    MovePaths(a, b);
  }
  return rc;
}

int renameat2(int from_dir, const char* from, int to_dir, const char* to, unsigned flags) {
  using namespace holdfast::testing;
  const std::string a = PathAt(from_dir, from), b = PathAt(to_dir, to);
  if (a.empty() || b.empty() || (!Watched(a.c_str()) && !Watched(b.c_str()))) {
    return R().renameat2(from_dir, from, to_dir, to, flags);
  }
  if (flags != RENAME_EXCHANGE) return R().renameat2(from_dir, from, to_dir, to, flags);  // not used by Holdfast
  Event();
  int rc = R().renameat2(from_dir, from, to_dir, to, flags);
  if (rc == 0) {
    LogOp({OpKind::kExchange, a, b, false, "", "", ""});
    MovePaths(a, "\x01swap");
    MovePaths(b, a);
    MovePaths("\x01swap", b);
  }
  return rc;
}

int unlink(const char* path) { return holdfast::testing::RemoveCommon(holdfast::testing::R().unlink, path, false); }
int remove(const char* path) { return holdfast::testing::RemoveCommon(holdfast::testing::R().remove, path, false); }
int rmdir(const char* path) { return holdfast::testing::RemoveCommon(holdfast::testing::R().rmdir, path, true); }

int unlinkat(int dir_fd, const char* path, int flags) {
  using namespace holdfast::testing;
  const std::string p = PathAt(dir_fd, path);
  if (p.empty() || ((flags & AT_REMOVEDIR) == 0 && IsDir(p))) return R().unlinkat(dir_fd, path, flags);
  return RemoveCommon([&](const char*) { return R().unlinkat(dir_fd, path, flags); }, p.c_str(),
                      (flags & AT_REMOVEDIR) != 0);
}

int mkdirat(int dir_fd, const char* path, mode_t mode) {
  using namespace holdfast::testing;
  const std::string p = PathAt(dir_fd, path);
  if (p.empty() || !Watched(p.c_str())) return R().mkdirat(dir_fd, path, mode);
  Event();
  int rc = R().mkdirat(dir_fd, path, mode);
  if (rc == 0) LogOp({OpKind::kMkdir, p, "", false, "", "", ""});
  return rc;
}

int mkdir(const char* path, mode_t mode) {
  using namespace holdfast::testing;
  if (!Watched(path)) return R().mkdir(path, mode);
  std::string p = Absolute(path);
  Event();
  int rc = R().mkdir(path, mode);
  if (rc == 0) LogOp({OpKind::kMkdir, p, "", false, "", "", ""});
  return rc;
}

}  // extern "C"
