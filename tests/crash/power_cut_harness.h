// Test support: runs a workload in a child process under the power-cut VFS,
// collects what it acknowledged, and checks the vault it left behind.
//
// A workload is a list of steps. Each step is idempotent given the steps
// before it (running a step again after a cut in it finishes its work), and
// the child writes "ack" lines to a pipe as calls return OK: facts that must
// hold in the vault from then on, whatever happens after. The parent reads
// them, so a fact acknowledged before the cut is known even though the child
// died in the middle of a write.
//
// Facts (space-separated, names without spaces):
//   step N                           step N finished
//   rev SOURCE COLLECTION UID SHA    the item has a revision with this content
//   tomb SOURCE COLLECTION UID       the item is tombstoned
//   blob SHA                         the blob is stored whole
//   ledger REMOTE SOURCE COLLECTION UID SHA   the remote acknowledged this content
//   recovered REMOTE                 a recovery of REMOTE ended verified
//   schema N                         the vault is at schema version N
//   collection SOURCE NAME           the collection exists
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "storage/vault.h"
#include "tests/crash/power_cut_vfs.h"

namespace holdfast::testing {

// The child's side of the acknowledgement pipe.
class Acks {
 public:
  explicit Acks(int fd) : fd_(fd) {}
  // Writes one fact line (a single write(2), so a line is whole or absent).
  void Say(const std::string& fact);
  // Says rev/tomb/blob facts for everything the vault holds now.
  void SayVaultContents(storage::Vault& vault);
  // Says ledger facts for what `remote` acknowledged.
  void SayLedger(storage::Vault& vault, const std::string& remote);

 private:
  int fd_;
};

// Runs in the child, in its own copy of the workload's folder, with the VFS
// installed but not armed. Runs steps first..last, calling ArmPowerCutVfs()
// once its set-up is done, and returns "" or what went wrong.
using StepRunner = std::function<std::string(const std::filesystem::path& dir, int first_step, Acks& acks)>;

struct ChildOutcome {
  bool cut = false;       // the power was cut at the chosen event
  bool finished = false;  // the steps all ran before that event came
  uint64_t events = 0;    // I/O events counted (when finished)
  std::string error;      // the child failed some other way
  std::vector<std::string> facts;
  int last_step = 0;      // the highest "step N" acknowledged
};

// Forks a child that installs the VFS with `plan` and runs `runner` from
// `first_step`. On a cut the child ends at once; when it finishes it writes
// its pending writes back (a clean shutdown) and exits.
ChildOutcome RunUnderPowerCut(const PowerCutPlan& plan, const std::filesystem::path& dir, int first_step,
                              const StepRunner& runner);

// Opens the vault at `path` as the agent would after the cut and checks:
// it opens, Verify finds no damage (integrity check, orphans, every revision
// and blob hashes right, so every chunk is there), every fact holds, every
// ledger entry names an item the vault holds with a revision of that
// content. Returns the problems found, empty when all is well.
std::vector<std::string> CheckVaultAfterCut(const std::filesystem::path& path,
                                            const std::vector<std::string>& facts,
                                            const std::vector<std::string>& remotes);

// A canonical text of what the vault holds, for comparing the end of an
// interrupted-and-resumed run with an uninterrupted one: collections, items
// (uid, live or not, current content), the set of contents each item ever
// had, blobs, and each remote's ledger. Times and row ids are left out.
std::string VaultState(const std::filesystem::path& path, const std::vector<std::string>& remotes);

// Copies a folder tree (the workload's prepared base) to `to`.
void CopyTree(const std::filesystem::path& from, const std::filesystem::path& to);

// Seeds and events to try, from the environment for long runs:
// HOLDFAST_POWER_CUT_SEEDS (seeds per event and device model, default given),
// HOLDFAST_POWER_CUT_STRIDE (try every Nth event, default 1).
int SeedsPerEvent(int default_seeds);
int EventStride();

}  // namespace holdfast::testing
