// Test support: a SQLite VFS that simulates a handset losing power.
//
// It wraps the platform's real VFS. Every write, truncate and delete is an
// "I/O event", numbered from 1 once the VFS is armed. Writes are not sent to
// the real file: they wait in memory, per file, until SQLite syncs that file
// (reads see them, as they would see the OS page cache). A sync moves them to
// the real file in order.
//
// At the chosen event the VFS "cuts power": the event itself is added to the
// pending writes, then every pending write is split into sectors and each
// piece is kept, dropped or replaced by garbage (a seeded choice), pending
// truncates are kept or dropped, and the cut callback runs (a test ends the
// process there with _exit). Two device models:
//  - power-safe overwrite: garbage touches only the bytes the write covered;
//  - no power-safe overwrite: garbage fills the whole sector, so bytes next
//    to the write that were already durable are lost too.
// Seed 0 keeps every pending write (a process kill, the OS survives); seed 1
// drops them all (a cut that tears nothing); other seeds mix the three fates.
//
// The same VFS can instead fail I/O: the Nth operation (reads, writes,
// syncs, truncates, deletes) returns SQLITE_IOERR once, or every operation
// from the Nth on when sticky (a disk that has died or filled up).
//
// Not modelled: directory entries (a file SQLite creates or deletes is so at
// once, durably) and the -shm file (shared memory that SQLite rebuilds after
// a crash; reads and writes go straight to the real one).
//
// Thread-safety: one global state behind a mutex; SQLite may call from any
// thread (the vault's checkpointer runs on a second one). Install once per
// process, in a child made for the purpose: the VFS becomes SQLite's default.
//
// This lives in tests/: like storage/, it speaks SQLite's C API, because the
// VFS is SQLite's own seam for exactly this kind of double.
#pragma once

#include <cstdint>
#include <functional>

namespace holdfast::testing {

struct PowerCutPlan {
  uint64_t cut_at_event = 0;  // 0: never cut
  uint64_t seed = 2;
  bool powersafe_overwrite = false;
  int sector_size_bytes = 4096;
  // I/O errors instead of a cut: the Nth operation (reads count too) fails,
  // once, or with fail_sticky every one from the Nth on. 0 for none.
  uint64_t fail_at_op = 0;
  bool fail_sticky = false;
  // The negative control: every connection runs with synchronous=OFF, and the
  // agent's own "PRAGMA synchronous = FULL" is ignored.
  bool synchronous_off = false;
};

// Called at the cut, after the disk has its final bytes. Must not return
// into SQLite: end the process.
using CutCallback = std::function<void()>;

// Registers the VFS as SQLite's default for this process. Counting starts
// when Arm() is called (set-up before it is never cut or failed).
void InstallPowerCutVfs(const PowerCutPlan& plan, CutCallback on_cut);
void ArmPowerCutVfs();
// I/O events seen since Arm().
uint64_t PowerCutEvents();
// I/O errors returned so far.
uint64_t PowerCutFailures();
// Stops failing and cutting (the disk has space again; the power stays on).
void DisarmPowerCutVfs();
// Moves every pending write to the real files, as an OS writes its cache
// back at a clean shutdown.
void FlushPowerCutVfs();

}  // namespace holdfast::testing
