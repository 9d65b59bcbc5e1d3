// Test support: power cuts for files written outside SQLite.
//
// The test executable defines open, write, fsync, fdatasync, syncfs, rename,
// renameat2 (exchange), unlink, remove, mkdir and rmdir (file_cut_shim.cc); the real calls are
// reached through dlsym(RTLD_NEXT). Unarmed, they only pass through. Armed,
// calls on paths under the watched folder are "file events", numbered from
// 1, and the shim models a journaling file system:
//  - bytes written to a file are volatile until fsync of that file or a
//    syncfs; the shim keeps a copy of each file's durable bytes;
//  - creating, renaming and removing names are volatile until an fsync of
//    the folder or a syncfs, and reach the disk in the order they were made
//    (a folder fsync makes everything logged before it durable too).
// At the chosen event, instead of doing it, the power goes: a seeded prefix
// of the volatile name operations survives and the rest is undone, newest
// first; each file with volatile bytes keeps them, loses them (back to its
// durable bytes) or is torn (a prefix of the new bytes, then garbage). Seed
// 0 keeps everything, seed 1 loses everything volatile. Then the cut
// callback ends the process.
//
// Not thread-safe: the workloads it watches write files from one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>

namespace holdfast::testing {

struct FileCutPlan {
  std::filesystem::path watched;  // only paths under this folder are modelled
  uint64_t cut_at_event = 0;      // 0: never
  uint64_t seed = 2;
};

void ArmFileCuts(const FileCutPlan& plan, std::function<void()> on_cut);
void DisarmFileCuts();
// File events seen since ArmFileCuts.
uint64_t FileCutEvents();

}  // namespace holdfast::testing
