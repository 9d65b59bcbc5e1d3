// Capture: copy what the handset's sources hold into the vault.
//
// For each configured source, a scan lists its files and reads only those
// whose size, mtime or inode differ from the vault's stat cache; each item
// found becomes a new revision when its bytes are new. Files that are gone
// become tombstones, unless the device-loss guard trips (see below).
//
// Crash safety: a file's items and its stat cache entry are written in the
// same transaction, so a capture killed at any moment leaves the vault
// consistent and the next capture re-reads exactly the files not yet recorded
// (tests/crash/capture_kill_test.cc kills it mid-run, 30 times).
//
// Device-loss guard: a source root that is missing or unreadable is an error
// for that source and records no deletion. A collection whose files all
// vanished, or that lost more than the source's threshold (default more than
// 20% and more than 5 items) in one scan, records no deletion either: it gets
// a "source loss suspected" alert that stays until the items come back or the
// user accepts the deletions (CaptureOptions::accept_deletions).
//
// Stopping: when a stop is requested (platform/stop_request.h) the capture
// ends between two files with kCancelled, keeping what it stored and
// recording no deletion for the source it was scanning.
//
// Size: a .vcf or .ics file over platform::kMaxPimFileBytes (64 MiB) is
// reported and skipped; photos of any size are streamed.
//
// Identity: an item's uid is its UID property; an item without one gets
// "hf-" + the first 32 hex digits of SHA-256(source name, NUL, path in the
// source, NUL, index of the item in its file), so it is stable while the file
// stays where it is. So does an item whose UID is too long for the protocol
// (platform::kMaxWireUidBytes), and an item whose UID another item already holds
// (earlier in the same file, or in another file of the collection that still
// has it): two cards with one UID are two items, and neither replaces the
// other in the vault, on the server or on a restored device. A photo's uid is its path in the source. A file moved
// within a collection is recognised by its content: its items keep their
// revisions and only their path (and path-derived uid) changes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/config.h"
#include "platform/status.h"
#include "storage/capture_state.h"
#include "storage/vault.h"

namespace holdfast::agent {

struct CaptureProgress {
  std::string source;
  int64_t files_done = 0;
  int64_t files_total = 0;  // files to read in this source
  int64_t bytes_done = 0;
};

struct CaptureOptions {
  // Capture only this source (by name); all sources when empty.
  std::string only_source;
  // With only_source, a folder source: look at these files only (paths
  // relative to the source folder, as change notification named them) instead
  // of scanning the whole source. Each that exists is read when its size,
  // mtime or inode differ from the stat cache, as in a full scan; no file is
  // found missing, so no deletion is recorded but for items gone from a file
  // that was read (the loss guard applies to those as usual), no move is
  // recognised, and open loss alerts stay. A path that does not exist or is
  // not a regular file of the source turns the capture into a full scan of
  // the source, which sees what happened to it.
  std::vector<std::string> only_paths;
  // Record deletions even where the device-loss guard would refuse them, and
  // clear the source's alerts. Only with only_source.
  bool accept_deletions = false;
  int64_t now_ms = 0;
  // Called now and then while files are read; may be empty.
  std::function<void(const CaptureProgress&)> progress;
};

struct CollectionLoss {
  std::string collection;
  int64_t items_before = 0;
  int64_t items_missing = 0;
};

struct SourceCapture {
  std::string source;
  Status error;  // the source could not be scanned at all (missing, unreadable)
  int64_t files_seen = 0;
  int64_t files_read = 0;
  int64_t files_unchanged = 0;  // stat unchanged since the last capture: not read
  int64_t bytes_read = 0;
  int64_t items_new = 0;
  int64_t items_changed = 0;
  int64_t items_restored = 0;
  int64_t items_unchanged = 0;
  int64_t items_moved = 0;
  int64_t items_deleted = 0;
  std::vector<storage::CaptureProblem> problems;  // files skipped, with reasons
  std::vector<CollectionLoss> losses_suspected;   // guard tripped: no deletion recorded
};

struct CaptureReport {
  std::vector<SourceCapture> sources;
  // True when every source was scanned; skipped files and alerts do not count.
  bool all_scanned() const;
};

// Captures the configured sources into the vault. A source-level failure is
// recorded in its SourceCapture and the others still run; an error result
// means the vault itself failed (disk full, I/O error), and everything
// committed before it stays. Errors: kNotFound for an unknown only_source,
// kInvalidArgument for accept_deletions without only_source.
Result<CaptureReport> Capture(storage::Vault& vault, const Config& config,
                              const CaptureOptions& options);

}  // namespace holdfast::agent
