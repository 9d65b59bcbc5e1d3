// Export: the user's data out of the vault in open formats, written so that
// nothing half-written is ever left behind.
//
// Formats (docs/formats.md describes each):
//   vdir     a folder per source in its own layout, one file per item, photos
//            as files: right after a capture, every captured file byte for byte
//   vcf      a folder with one .vcf per address book
//   ics      a folder with one .ics per calendar, task list or notebook: one
//            VCALENDAR holding each VTIMEZONE once
//   json     one file, one JSON object per line: metadata and raw content
//   archive  one tar file (zstd-compressed with `zstd`) holding the vdir
//            layout, SHA256SUMS and a manifest; `holdfast import` reads it,
//            plain `tar` extracts it (agent/archive/archive_format.h)
//
// Atomicity: folders are built under a temp name and renamed into place
// after one syncfs; single files through platform::AtomicFile. An existing
// target is refused unless `force`. Every item's bytes are hashed while they
// are written and compared with the vault's record: damage in the vault stops
// the export (kDamageFound) instead of being copied out silently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "agent/archive/snapshot.h"
#include "platform/status.h"
#include "storage/vault.h"

namespace holdfast::agent {

enum class ExportFormat { kVdir, kVcf, kIcs, kJson, kArchive };
std::optional<ExportFormat> ParseExportFormat(std::string_view name);

struct ExportOptions {
  ExportFormat format = ExportFormat::kVdir;
  std::filesystem::path to;
  SnapshotFilter filter;
  bool force = false;  // replace an existing target
  bool zstd = false;   // archive only
  // Archive only: when not empty, the archive is encrypted with it
  // (platform/secret_stream.h, docs/formats.md "Encrypted archives").
  std::string passphrase;
  int64_t now_ms = 0;
};

struct ExportReport {
  int64_t collections = 0;
  int64_t items = 0;
  int64_t files = 0;  // files written (for archive and json: members or lines)
  int64_t content_bytes = 0;
};

// Errors: kAlreadyExists (target exists, no force), kNotFound (its folder is
// missing), kInvalidArgument (nothing matches the filter; zstd without
// archive), kDamageFound (an item's bytes no longer match their SHA-256),
// kNoSpace, kIoError. On any error the target is as it was before.
Result<ExportReport> Export(storage::Vault& vault, const ExportOptions& options);

}  // namespace holdfast::agent
