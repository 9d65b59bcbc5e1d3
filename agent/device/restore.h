// Restore the device: write items from the vault back into the device's own
// sources after a reset (or a loss the guard refused to record).
//
// For each configured source, the items of its collections (as they are now,
// or as they were at as_of_ms) go back where capture saw them: vdir files
// under the folder with their names, photos into their folders, a single
// export file (.vcf/.ics source) rebuilt with the items it lacks. By default
// only what is missing is written; with `overwrite`, files whose content
// differs from the vault's are replaced too. A device file is never deleted.
//
// Crash safety: every file is written under a hidden temp name, flushed
// (syncfs), then renamed (platform::FileSet): a cut leaves the old file or
// the new one, never a mix. A capture right after a restore records no change.
// A source restored without error has its "source loss suspected" alerts
// cleared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/config.h"
#include "platform/status.h"
#include "storage/vault.h"

namespace holdfast::agent {

struct RestoreOptions {
  std::string only_source;  // all sources when empty
  std::optional<int64_t> as_of_ms;
  bool dry_run = false;    // count what would be written, write nothing
  bool overwrite = false;  // also replace files whose content differs
};

struct SourceRestore {
  std::string source;
  Status error;                  // this source could not be restored; the others went on
  int64_t files_written = 0;     // missing files written (or, dry run, to write)
  int64_t files_replaced = 0;    // differing files replaced (overwrite only)
  int64_t files_present = 0;     // already there with the vault's content
  int64_t files_differ = 0;      // there with other content, kept (no overwrite)
  int64_t files_failed = 0;      // could not be written (the error names them); the others were
  int64_t items_written = 0;
  int64_t bytes_written = 0;
  int64_t alerts_cleared = 0;
  bool counts_items = false;     // an eds source: the files_* counts are items written through EDS
};

struct RestoreReport {
  std::vector<SourceRestore> sources;
  bool ok() const;
};

// Errors: kNotFound for an unknown only_source; vault errors. A failure to
// write one source (disk full, permission) is in its SourceRestore.
Result<RestoreReport> RestoreDevice(storage::Vault& vault, const Config& config,
                                    const RestoreOptions& options);

}  // namespace holdfast::agent
