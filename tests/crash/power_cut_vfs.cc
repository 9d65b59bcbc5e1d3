#include "tests/crash/power_cut_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace holdfast::testing {
namespace {

// A write or truncate the device has accepted but not yet made durable.
struct PendingOp {
  bool truncate = false;
  int64_t offset = 0;  // a write's position, or a truncate's new size
  std::string bytes;
};

// What the process sees of one file: the durable bytes on the real file
// plus the pending operations on top, in order.
struct FileState {
  int fd = -1;  // kept open for the process's life: closing an fd would drop SQLite's POSIX locks
  int64_t size_bytes = 0;
  std::vector<PendingOp> pending;
};

enum class Fate { kKeep, kDrop, kGarbage };

struct Global {
  std::mutex mutex;
  PowerCutPlan plan;
  CutCallback on_cut;
  sqlite3_vfs* real = nullptr;
  sqlite3_vfs vfs{};
  bool installed = false;
  bool armed = false;
  uint64_t events = 0;
  uint64_t failures = 0;
  std::map<std::string, FileState> files;
};

Global& G() {
  static Global* global = new Global;  // never destroyed: SQLite may call during exit
  return *global;
}

struct CutFile {
  sqlite3_file base;
  sqlite3_file* real;
  const char* path;  // SQLite keeps the name valid until xClose
  bool passthrough;  // temporary files: not modelled
};

CutFile* AsCut(sqlite3_file* file) { return reinterpret_cast<CutFile*>(file); }

void WriteAll(int fd, const char* data, size_t size, int64_t offset) {
  while (size > 0) {
    ssize_t n = pwrite(fd, data, size, offset);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;  // a test double: a short real write shows up as damage the test reports
    }
    data += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
}

int64_t RealSize(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

void Apply(FileState& state, const PendingOp& op) {
  if (op.truncate) {
    if (ftruncate(state.fd, op.offset) != 0) return;
  } else {
    WriteAll(state.fd, op.bytes.data(), op.bytes.size(), op.offset);
  }
}

void ApplyAll(FileState& state) {
  for (const PendingOp& op : state.pending) Apply(state, op);
  state.pending.clear();
}

Fate DrawFate(std::mt19937_64& rng, uint64_t seed) {
  if (seed == 0) return Fate::kKeep;
  if (seed == 1) return Fate::kDrop;
  switch (rng() % 3) {
    case 0: return Fate::kKeep;
    case 1: return Fate::kDrop;
    default: return Fate::kGarbage;
  }
}

// Power goes: every pending operation meets its fate, then the process ends.
[[noreturn]] void CutPower(Global& g) {
  std::mt19937_64 rng(g.plan.seed * 0x9E3779B97F4A7C15ull + 7);
  const int64_t sector = g.plan.sector_size_bytes;
  for (auto& [path, state] : g.files) {
    for (const PendingOp& op : state.pending) {
      if (op.truncate) {
        if (DrawFate(rng, g.plan.seed) != Fate::kDrop) Apply(state, op);
        continue;
      }
      int64_t begin = op.offset;
      int64_t end = op.offset + static_cast<int64_t>(op.bytes.size());
      for (int64_t piece = begin; piece < end;) {
        int64_t sector_begin = piece / sector * sector;
        int64_t piece_end = std::min(end, sector_begin + sector);
        Fate fate = DrawFate(rng, g.plan.seed);
        if (fate == Fate::kKeep) {
          WriteAll(state.fd, op.bytes.data() + (piece - begin), static_cast<size_t>(piece_end - piece),
                   piece);
        } else if (fate == Fate::kGarbage) {
          // Without power-safe overwrite a torn sector loses its neighbours' bytes too.
          int64_t from = g.plan.powersafe_overwrite ? piece : sector_begin;
          int64_t to = g.plan.powersafe_overwrite
                           ? piece_end
                           : std::max(piece_end, std::min(sector_begin + sector, RealSize(state.fd)));
          std::string junk(static_cast<size_t>(to - from), '\0');
          for (char& c : junk) c = static_cast<char>(rng());
          WriteAll(state.fd, junk.data(), junk.size(), from);
        }
        piece = piece_end;
      }
    }
    state.pending.clear();
  }
  if (g.on_cut) g.on_cut();
  _exit(99);  // the callback must not return; end here if it did
}

enum class Step { kProceed, kFail, kCut };

// Counts one I/O event (the mutex is held). Reads count only toward failures.
Step CountEvent(Global& g, bool is_read) {
  if (!g.armed) return Step::kProceed;
  if (g.plan.fail_at_op > 0) {
    uint64_t n = ++g.events;
    bool fail = g.plan.fail_sticky ? n >= g.plan.fail_at_op : n == g.plan.fail_at_op;
    if (!fail) return Step::kProceed;
    ++g.failures;
    return Step::kFail;
  }
  if (is_read) return Step::kProceed;
  ++g.events;
  return g.plan.cut_at_event != 0 && g.events == g.plan.cut_at_event ? Step::kCut : Step::kProceed;
}

FileState* StateOf(Global& g, const CutFile* file) {
  auto it = g.files.find(file->path);
  return it == g.files.end() ? nullptr : &it->second;
}

// ---- io methods

int Close(sqlite3_file* file) {
  // The file's state outlives the handle: what was written but not synced
  // still waits in the "OS cache" for a later sync or the cut.
  CutFile* f = AsCut(file);
  return f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
}

int Read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  CutFile* f = AsCut(file);
  if (f->passthrough) return f->real->pMethods->xRead(f->real, out, amount, offset);
  Global& g = G();
  std::lock_guard<std::mutex> lock(g.mutex);
  if (CountEvent(g, /*is_read=*/true) == Step::kFail) return SQLITE_IOERR_READ;
  FileState* state = StateOf(g, f);
  if (state == nullptr) return SQLITE_IOERR_READ;
  char* buffer = static_cast<char*>(out);
  std::memset(buffer, 0, static_cast<size_t>(amount));
  ssize_t got = pread(state->fd, buffer, static_cast<size_t>(amount), offset);
  if (got < 0) return SQLITE_IOERR_READ;
  const int64_t end = offset + amount;
  for (const PendingOp& op : state->pending) {
    if (op.truncate) {
      if (op.offset < end) {
        int64_t from = std::max<int64_t>(op.offset, offset);
        std::memset(buffer + (from - offset), 0, static_cast<size_t>(end - from));
      }
      continue;
    }
    int64_t op_end = op.offset + static_cast<int64_t>(op.bytes.size());
    int64_t from = std::max<int64_t>(op.offset, offset);
    int64_t to = std::min(op_end, end);
    if (from < to) {
      std::memcpy(buffer + (from - offset), op.bytes.data() + (from - op.offset), static_cast<size_t>(to - from));
    }
  }
  if (end > state->size_bytes) {
    int64_t valid = std::max<int64_t>(0, state->size_bytes - offset);
    std::memset(buffer + valid, 0, static_cast<size_t>(amount - valid));
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  CutFile* f = AsCut(file);
  if (f->passthrough) return f->real->pMethods->xWrite(f->real, data, amount, offset);
  Global& g = G();
  std::lock_guard<std::mutex> lock(g.mutex);
  Step step = CountEvent(g, false);
  if (step == Step::kFail) return SQLITE_IOERR_WRITE;
  FileState* state = StateOf(g, f);
  if (state == nullptr) return SQLITE_IOERR_WRITE;
  state->pending.push_back({false, offset, std::string(static_cast<const char*>(data), static_cast<size_t>(amount))});
  state->size_bytes = std::max<int64_t>(state->size_bytes, offset + amount);
  if (step == Step::kCut) CutPower(g);
  return SQLITE_OK;
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  CutFile* f = AsCut(file);
  if (f->passthrough) return f->real->pMethods->xTruncate(f->real, size);
  Global& g = G();
  std::lock_guard<std::mutex> lock(g.mutex);
  Step step = CountEvent(g, false);
  if (step == Step::kFail) return SQLITE_IOERR_TRUNCATE;
  FileState* state = StateOf(g, f);
  if (state == nullptr) return SQLITE_IOERR_TRUNCATE;
  state->pending.push_back({true, size, {}});
  state->size_bytes = size;
  if (step == Step::kCut) CutPower(g);
  return SQLITE_OK;
}

int Sync(sqlite3_file* file, int flags) {
  CutFile* f = AsCut(file);
  if (f->passthrough) return f->real->pMethods->xSync(f->real, flags);
  Global& g = G();
  std::lock_guard<std::mutex> lock(g.mutex);
  Step step = CountEvent(g, false);
  if (step == Step::kFail) return SQLITE_IOERR_FSYNC;
  if (step == Step::kCut) CutPower(g);  // the sync never finished: its writes meet their fates
  FileState* state = StateOf(g, f);
  if (state == nullptr) return SQLITE_IOERR_FSYNC;
  // Durable from here. The real fsync is skipped: the model, not the disk, decides what survives.
  ApplyAll(*state);
  return SQLITE_OK;
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  CutFile* f = AsCut(file);
  if (f->passthrough) return f->real->pMethods->xFileSize(f->real, size);
  Global& g = G();
  std::lock_guard<std::mutex> lock(g.mutex);
  FileState* state = StateOf(g, f);
  if (state == nullptr) return SQLITE_IOERR_FSTAT;
  *size = state->size_bytes;
  return SQLITE_OK;
}

int Lock(sqlite3_file* file, int level) { return AsCut(file)->real->pMethods->xLock(AsCut(file)->real, level); }
int Unlock(sqlite3_file* file, int level) {
  return AsCut(file)->real->pMethods->xUnlock(AsCut(file)->real, level);
}
int CheckReservedLock(sqlite3_file* file, int* out) {
  return AsCut(file)->real->pMethods->xCheckReservedLock(AsCut(file)->real, out);
}
int FileControl(sqlite3_file* file, int op, void* arg) {
  // A size hint would grow the real file behind the model's back.
  if (op == SQLITE_FCNTL_SIZE_HINT) return SQLITE_OK;
  return AsCut(file)->real->pMethods->xFileControl(AsCut(file)->real, op, arg);
}
int SectorSize(sqlite3_file*) { return G().plan.sector_size_bytes; }
int DeviceCharacteristics(sqlite3_file*) {
  return G().plan.powersafe_overwrite ? SQLITE_IOCAP_POWERSAFE_OVERWRITE : 0;
}
int ShmMap(sqlite3_file* file, int page, int page_size, int extend, void volatile** out) {
  return AsCut(file)->real->pMethods->xShmMap(AsCut(file)->real, page, page_size, extend, out);
}
int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  return AsCut(file)->real->pMethods->xShmLock(AsCut(file)->real, offset, n, flags);
}
void ShmBarrier(sqlite3_file* file) { AsCut(file)->real->pMethods->xShmBarrier(AsCut(file)->real); }
int ShmUnmap(sqlite3_file* file, int delete_flag) {
  return AsCut(file)->real->pMethods->xShmUnmap(AsCut(file)->real, delete_flag);
}
// No memory-mapped reads: they would bypass the pending writes.
int Fetch(sqlite3_file*, sqlite3_int64, int, void** out) {
  *out = nullptr;
  return SQLITE_OK;
}
int Unfetch(sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; }

const sqlite3_io_methods kMethods = {
    3,     Close,       Read,       Write,     Truncate,   Sync,     FileSize, Lock,
    Unlock, CheckReservedLock, FileControl, SectorSize, DeviceCharacteristics,
    ShmMap, ShmLock,    ShmBarrier, ShmUnmap,  Fetch,      Unfetch};

// ---- vfs methods

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  Global& g = G();
  CutFile* f = AsCut(file);
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->path = name;
  f->passthrough = name == nullptr || (flags & (SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TEMP_JOURNAL |
                                                SQLITE_OPEN_TRANSIENT_DB | SQLITE_OPEN_SUBJOURNAL)) != 0;
  file->pMethods = nullptr;
  int rc = g.real->xOpen(g.real, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (!f->passthrough) {
    std::lock_guard<std::mutex> lock(g.mutex);
    FileState& state = g.files[name];
    if (state.fd < 0) {
      state.fd = ::open(name, O_RDWR | O_CLOEXEC);
      if (state.fd < 0) state.fd = ::open(name, O_RDONLY | O_CLOEXEC);
      if (state.fd < 0) {
        g.files.erase(name);
        f->real->pMethods->xClose(f->real);
        return SQLITE_CANTOPEN;
      }
      state.size_bytes = RealSize(state.fd);
      state.pending.clear();
    }
  }
  file->pMethods = &kMethods;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  Global& g = G();
  {
    std::lock_guard<std::mutex> lock(g.mutex);
    Step step = CountEvent(g, false);
    if (step == Step::kFail) return SQLITE_IOERR_DELETE;
    if (step == Step::kCut) CutPower(g);
    auto it = g.files.find(name);
    if (it != g.files.end()) {
      ::close(it->second.fd);
      g.files.erase(it);
    }
  }
  return g.real->xDelete(g.real, name, sync_dir);
}

int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  Global& g = G();
  if (flags == SQLITE_ACCESS_EXISTS) {
    std::lock_guard<std::mutex> lock(g.mutex);
    auto it = g.files.find(name);
    if (it != g.files.end()) {
      // As the real VFS: an empty file does not count as existing.
      *out = it->second.size_bytes > 0;
      return SQLITE_OK;
    }
  }
  return g.real->xAccess(g.real, name, flags, out);
}

int FullPathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return G().real->xFullPathname(G().real, name, size, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return G().real->xDlOpen(G().real, name); }
void DlError(sqlite3_vfs*, int size, char* out) { G().real->xDlError(G().real, size, out); }
void (*DlSym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return G().real->xDlSym(G().real, handle, symbol);
}
void DlClose(sqlite3_vfs*, void* handle) { G().real->xDlClose(G().real, handle); }
int Randomness(sqlite3_vfs*, int size, char* out) { return G().real->xRandomness(G().real, size, out); }
int Sleep(sqlite3_vfs*, int micros) { return G().real->xSleep(G().real, micros); }
int CurrentTime(sqlite3_vfs*, double* out) { return G().real->xCurrentTime(G().real, out); }
int GetLastError(sqlite3_vfs*, int size, char* out) { return G().real->xGetLastError(G().real, size, out); }
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return G().real->xCurrentTimeInt64(G().real, out);
}

// The negative control's authorizer: the agent's attempt to set synchronous
// is ignored (SQLITE_IGNORE makes a PRAGMA a no-op), everything else allowed.
int IgnoreSynchronousPragma(void*, int action, const char* name, const char*, const char*, const char*) {
  if (action == SQLITE_PRAGMA && name != nullptr && sqlite3_stricmp(name, "synchronous") == 0) return SQLITE_IGNORE;
  return SQLITE_OK;
}

// Runs for every new connection (sqlite3_auto_extension).
int SynchronousOff(sqlite3* db, char**, const sqlite3_api_routines*) {
  sqlite3_exec(db, "PRAGMA synchronous = OFF", nullptr, nullptr, nullptr);
  sqlite3_set_authorizer(db, IgnoreSynchronousPragma, nullptr);
  return SQLITE_OK;
}

}  // namespace

void InstallPowerCutVfs(const PowerCutPlan& plan, CutCallback on_cut) {
  Global& g = G();
  std::lock_guard<std::mutex> lock(g.mutex);
  g.plan = plan;
  g.on_cut = std::move(on_cut);
  if (g.installed) return;
  g.real = sqlite3_vfs_find(nullptr);
  sqlite3_vfs& v = g.vfs;
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(sizeof(CutFile)) + g.real->szOsFile;
  v.mxPathname = g.real->mxPathname;
  v.zName = "holdfast-power-cut";
  v.xOpen = Open;
  v.xDelete = Delete;
  v.xAccess = Access;
  v.xFullPathname = FullPathname;
  v.xDlOpen = DlOpen;
  v.xDlError = DlError;
  v.xDlSym = DlSym;
  v.xDlClose = DlClose;
  v.xRandomness = Randomness;
  v.xSleep = Sleep;
  v.xCurrentTime = CurrentTime;
  v.xGetLastError = GetLastError;
  v.xCurrentTimeInt64 = CurrentTimeInt64;
  sqlite3_vfs_register(&v, /*makeDflt=*/1);
  if (plan.synchronous_off) sqlite3_auto_extension(reinterpret_cast<void (*)()>(SynchronousOff));
  g.installed = true;
}

void ArmPowerCutVfs() {
  std::lock_guard<std::mutex> lock(G().mutex);
  G().armed = true;
  G().events = 0;
}

uint64_t PowerCutEvents() {
  std::lock_guard<std::mutex> lock(G().mutex);
  return G().events;
}

uint64_t PowerCutFailures() {
  std::lock_guard<std::mutex> lock(G().mutex);
  return G().failures;
}

void DisarmPowerCutVfs() {
  std::lock_guard<std::mutex> lock(G().mutex);
  G().armed = false;
}

void FlushPowerCutVfs() {
  std::lock_guard<std::mutex> lock(G().mutex);
  for (auto& [path, state] : G().files) ApplyAll(state);
}

}  // namespace holdfast::testing
