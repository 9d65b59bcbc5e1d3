#include "agent/device/restore.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>

#include "agent/archive/snapshot.h"
#include "agent/device/eds_source.h"
#include "platform/files.h"
#include "platform/pim/icalendar_merge.h"
#include "platform/pim/icalendar_reader.h"
#include "platform/sha256.h"
#include "platform/staged_files.h"
#include "platform/pim/vcard_reader.h"
#include "storage/capture_state.h"

namespace holdfast::agent {
namespace {

namespace fs = std::filesystem;
using storage::CollectionInfo;
using storage::ItemKind;
using storage::Vault;

// Files are published in sets: one syncfs per set instead of one fsync per
// file. Each syncfs waits for the disk; large sets keep their number small
// (measured on the large handset: sets of 2,000 files made the restore 2.0x
// `tar -xf`, see docs/benchmarks.md).
constexpr size_t kFilesPerSet = 20000;
constexpr uint64_t kBytesPerSet = uint64_t{512} << 20;
// FileSet holds one descriptor per folder of its pending files.
constexpr size_t kFoldersPerSet = 256;

enum class OnDevice { kMissing, kSame, kDiffers };

// A source that is one export file (a .vcf or .ics) is written in its
// folder; any other source is a folder and written beneath it.
bool IsSingleFile(const SourceConfig& source) {
  const fs::path root(source.path);
  return source.kind != SourceKind::kPhotos && (root.extension() == ".vcf" || root.extension() == ".ics");
}

fs::path WrittenBeneath(const SourceConfig& source) {
  const fs::path root(source.path);
  if (!IsSingleFile(source)) return root;
  return root.parent_path().empty() ? fs::path(".") : root.parent_path();
}

// Compares a device file with an item: by size, then (for small files, or
// when it matters) by SHA-256.
Result<OnDevice> Compare(const fs::path& file, const SnapshotItem& s, bool need_exact) {
  struct stat st {};
  if (lstat(file.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return OnDevice::kMissing;
    return ErrnoStatus(file.string(), errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return Status(ErrorCode::kAlreadyExists, file.string() + ": not a regular file; left as it is");
  }
  if (static_cast<uint64_t>(st.st_size) != s.revision.size_bytes) return OnDevice::kDiffers;
  if (!need_exact && s.revision.size_bytes > (uint64_t{1} << 20)) return OnDevice::kSame;
  Result<std::string> bytes = platform::ReadWholeFile(file, std::max<uint64_t>(s.revision.size_bytes, 1));
  if (!bytes) return bytes.error();
  return platform::Sha256Of(*bytes) == s.revision.sha256 ? OnDevice::kSame : OnDevice::kDiffers;
}

class SourceRestorer {
 public:
  SourceRestorer(Vault& vault, const SourceConfig& source, const RestoreOptions& options,
                 SourceRestore* report)
      : vault_(vault), source_(source), options_(options), report_(report), files_(WrittenBeneath(source)) {}

  Status Run() {
    SnapshotFilter filter;
    filter.source = source_.name;
    filter.as_of_ms = options_.as_of_ms;
    filter.keep_shared_files = true;
    const fs::path root(source_.path);
    const bool single_file = IsSingleFile(source_);
    // One read transaction for the whole walk: the vault is read as of one
    // moment, without taking and dropping SQLite's locks for every item.
    Result<storage::WriteBatch> reading = vault_.BeginBatch();
    if (!reading) return reading.error();
    Status status = ForEachSnapshotCollection(
        vault_, filter, [&](const CollectionInfo& c, SnapshotItems& items) {
          collections_.push_back(c.id);
          if (!single_file) return RestoreFiles(root, c, items);
          // One file holds them all: rebuilding it takes them all in memory.
          std::vector<SnapshotItem> ordered;
          HF_RETURN_IF_ERROR(items.Visit([&](const SnapshotItem& s) {
            ordered.push_back(s);
            return Status::Ok();
          }));
          // Capture keys a single export file's stat cache entry by its name.
          HF_RETURN_IF_ERROR(InFileOrder(root.filename().string(), &ordered));
          return RestoreIntoFile(root, c, ordered);
        });
    if (status.ok()) status = reading->Commit();
    if (status.ok()) status = Publish();
    if (!status.ok()) {
      files_.Abandon();
      return status;
    }
    if (options_.dry_run) return Status::Ok();
    // Not restored whole: the loss alerts stay.
    if (report_->files_failed > 0) return FailureSummary();
    Result<int64_t> cleared = vault_.capture_state().ClearLossAlerts(collections_);
    if (!cleared) return cleared.error();
    report_->alerts_cleared += *cleared;
    return Status::Ok();
  }

 private:
  // vdir folders and photo trees: one file per item, at its path; items that
  // shared a file (several cards in one .vcf) go back into that file, in the
  // order capture last saw them there, so that capture reads them back as the
  // same items (an item without UID is known by its place in its file).
  //
  // Items are read from the vault as they are written: a first walk gathers
  // the items that share files (when there are any), a second writes the
  // others, one at a time.
  Status RestoreFiles(const fs::path& root, const CollectionInfo& c, SnapshotItems& items) {
    std::map<std::string, std::vector<SnapshotItem>> shared;
    if (items.any_shares_file()) {
      HF_RETURN_IF_ERROR(items.Visit([&](const SnapshotItem& s) {
        if (s.shares_file) shared[s.path].push_back(s);
        return Status::Ok();
      }));
    }
    for (auto& [path, group] : shared) {
      if (Status through_link = RefuseLinkedFolders(root, path); !through_link.ok()) {
        Failed(through_link);
        continue;
      }
      HF_RETURN_IF_ERROR(InFileOrder(path, &group));
      Status status = RestoreIntoFile(root / path, c, group);
      if (status.code() == ErrorCode::kDamageFound || status.code() == ErrorCode::kCorruptVault) return status;
      if (!status.ok()) Failed(status.WithContext((root / path).string()));
    }
    shared.clear();
    return items.Visit([&](const SnapshotItem& s) { return RestoreOwnFile(root, c, s); });
  }

  // One item that has a file of its own. Errors stop the restore (the
  // vault's); the device's are counted (Failed) and the restore goes on.
  Status RestoreOwnFile(const fs::path& root, const CollectionInfo& c, const SnapshotItem& s) {
    if (s.shares_file) return Status::Ok();
    const fs::path target = root / s.path;
    if (Status through_link = RefuseLinkedFolders(root, s.path); !through_link.ok()) {
      Failed(through_link);
      return Status::Ok();
    }
    // In a folder that is not there (a device after a reset), every file is
    // missing: one stat per folder instead of one per file.
    const std::string folder = target.parent_path().string();
    auto known = folder_exists_.find(folder);
    if (known == folder_exists_.end()) {
      struct stat st {};
      known = folder_exists_.emplace(folder, stat(folder.c_str(), &st) == 0).first;
    }
    Result<OnDevice> state = known->second ? Compare(target, s, options_.overwrite) : Result<OnDevice>(OnDevice::kMissing);
    if (!state) {
      Failed(state.error());
      return Status::Ok();
    }
    if (*state == OnDevice::kSame) {
      ++report_->files_present;
      return Status::Ok();
    }
    if (*state == OnDevice::kDiffers && !options_.overwrite) {
      ++report_->files_differ;
      return Status::Ok();
    }
    if (!options_.dry_run) {
      // A file the device refuses (a name it cannot hold, a folder that
      // is a file) is this file's failure: the others are still written,
      // and Run reports every one that was not. The vault failing stops all.
      Status device_error;
      Status streamed;
      Result<size_t> handle = files_.Create(target);
      if (!handle) {
        device_error = handle.error();
      } else {
        streamed = StreamSnapshotItem(vault_, c, s, [&](std::string_view bytes) {
          device_error = files_.Append(*handle, bytes);
          return device_error;
        });
        if (!streamed.ok() || !device_error.ok()) files_.Discard(*handle);
      }
      if (!device_error.ok()) {
        Failed(device_error.WithContext(target.string()));
        return Status::Ok();
      }
      HF_RETURN_IF_ERROR(streamed);
    }
    ++(*state == OnDevice::kMissing ? report_->files_written : report_->files_replaced);
    ++report_->items_written;
    report_->bytes_written += static_cast<int64_t>(s.revision.size_bytes);
    if (files_.pending() >= kFilesPerSet || files_.pending_bytes() >= kBytesPerSet ||
        files_.open_folders() >= kFoldersPerSet) {
      HF_RETURN_IF_ERROR(Publish());
    }
    return Status::Ok();
  }

  // Refuses a file whose folder, or a folder above it inside the source, is a
  // symbolic link (a collection folder replaced by a link, say): a restore
  // writes into the source and nowhere else. A folder that is missing is fine
  // (it is created). Answers are kept per folder, as found before this
  // restore wrote anything. This only names the problem early, per folder;
  // what keeps every write inside the source whatever links appear while the
  // restore runs is FileSet, which opens each folder with O_NOFOLLOW.
  Status RefuseLinkedFolders(const fs::path& root, const std::string& relative) {
    for (size_t slash = relative.find('/'); slash != std::string::npos; slash = relative.find('/', slash + 1)) {
      const std::string folder = relative.substr(0, slash);
      auto known = folder_links_.find(folder);
      if (known == folder_links_.end()) {
        const fs::path path = root / folder;
        struct stat st {};
        Status verdict;
        if (lstat(path.c_str(), &st) != 0) {
          if (errno != ENOENT) verdict = ErrnoStatus(path.string(), errno);
        } else if (S_ISLNK(st.st_mode)) {
          verdict = Status(ErrorCode::kInvalidArgument, path.string() +
                                                            ": a symbolic link where the source had a folder; "
                                                            "not followed (it may lead out of the source)");
        } else if (!S_ISDIR(st.st_mode)) {
          verdict = Status(ErrorCode::kAlreadyExists, path.string() + ": " + platform::DescribeFileType(st.st_mode) +
                                                          " where the source had a folder; left as it is");
        }
        known = folder_links_.emplace(folder, verdict).first;
      }
      if (!known->second.ok()) return known->second.WithContext(relative);
    }
    return Status::Ok();
  }

  // Sorts the items of one shared file as its stat cache entry lists them
  // (file order); items it does not list follow, in uid order.
  Status InFileOrder(const std::string& path, std::vector<SnapshotItem>* group) {
    Result<std::vector<std::string>> order = vault_.capture_state().SourceFileItemUids(source_.name, path);
    if (!order) return order.error();
    std::map<std::string, size_t> rank;
    for (size_t i = 0; i < order->size(); ++i) rank.emplace((*order)[i], i);
    auto rank_of = [&](const SnapshotItem& s) {
      auto it = rank.find(s.item.uid);
      return it == rank.end() ? order->size() : it->second;
    };
    std::stable_sort(group->begin(), group->end(),
                     [&](const SnapshotItem& a, const SnapshotItem& b) { return rank_of(a) < rank_of(b); });
    return Status::Ok();
  }

  static constexpr size_t kFailuresNamed = 5;

  void Failed(const Status& why) {
    ++report_->files_failed;
    if (failures_.ok()) failures_ = why;
    if (report_->files_failed <= static_cast<int64_t>(kFailuresNamed)) failed_names_ += "\n  " + why.message();
  }

  // Run's error when some files could not be written (the rest were).
  Status FailureSummary() const {
    std::string more = report_->files_failed > static_cast<int64_t>(kFailuresNamed)
                           ? "\n  and " + std::to_string(report_->files_failed - static_cast<int64_t>(kFailuresNamed)) + " more"
                           : "";
    return Status(failures_.code(), std::to_string(report_->files_failed) +
                                        " files could not be written (the others were):" + failed_names_ + more);
  }

  // A source that is one export file: the items it lacks are added to it
  // (all of them when it is gone); with overwrite it is rebuilt from the vault.
  Status RestoreIntoFile(const fs::path& file, const CollectionInfo& c, const std::vector<SnapshotItem>& items) {
    const bool contacts = c.kind == ItemKind::kContact;
    std::vector<std::string> contents;
    for (const SnapshotItem& s : items) {
      Result<std::string> content = vault_.ReadRevisionBytes(s.revision.id, platform::kMaxPimFileBytes);
      if (!content) return content.error();
      if (platform::Sha256Of(*content) != s.revision.sha256) {
        return Status(ErrorCode::kDamageFound, DescribeItem(c, s) + ": its bytes in the vault no longer match "
                                                                   "their SHA-256 (run `holdfast verify`)");
      }
      contents.push_back(std::move(*content));
    }
    struct stat st {};
    const bool exists = lstat(file.c_str(), &st) == 0;
    std::string existing;
    std::set<std::string> held_uids;
    std::set<platform::Digest> held_shas;
    if (exists) {
      Result<std::string> bytes = platform::ReadWholeFile(file, platform::kMaxPimFileBytes);
      if (!bytes) return bytes.error();
      existing = std::move(*bytes);
      Result<std::vector<platform::PimItem>> parsed = contacts ? platform::ReadVcardFile(existing, file.string())
                                                               : platform::ReadIcalendarFile(existing, file.string());
      if (!parsed) {
        if (!options_.overwrite) {
          return parsed.error().WithContext("the device's file cannot be read; left as it is (--overwrite rebuilds it)");
        }
      } else {
        for (const platform::PimItem& item : *parsed) {
          held_uids.insert(item.uid);
          held_shas.insert(platform::Sha256Of(item.raw));
        }
      }
    }
    std::vector<std::string_view> missing;
    int64_t present = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      const bool held = held_shas.count(items[i].revision.sha256) != 0 ||
                        (!items[i].item.uid.empty() && items[i].item.uid.rfind("hf-", 0) != 0 &&
                         held_uids.count(items[i].item.uid) != 0);
      if (held) {
        ++present;
      } else {
        missing.push_back(contents[i]);
      }
    }
    if (missing.empty() && exists) {
      ++report_->files_present;
      return Status::Ok();
    }
    std::string out;
    if (!exists || options_.overwrite) {
      std::vector<std::string_view> all(contents.begin(), contents.end());
      if (contacts) {
        for (std::string_view card : all) {
          out.append(card);
          if (!card.empty() && card.back() != '\n') out.append("\r\n");
        }
      } else {
        Result<std::string> merged = platform::MergeCalendars(all, file.string(), /*first_header=*/true);
        if (!merged) return merged.error();
        out = std::move(*merged);
      }
      ++(exists ? report_->files_replaced : report_->files_written);
      report_->items_written += static_cast<int64_t>(all.size());
    } else {
      if (contacts) {
        out = existing;
        if (!out.empty() && out.back() != '\n') out.append("\r\n");
        for (std::string_view card : missing) {
          out.append(card);
          if (!card.empty() && card.back() != '\n') out.append("\r\n");
        }
      } else {
        Result<std::string> added = platform::AddToCalendar(existing, missing, file.string());
        if (!added) return added.error();
        out = std::move(*added);
      }
      ++report_->files_replaced;
      report_->items_written += static_cast<int64_t>(missing.size());
    }
    report_->bytes_written += static_cast<int64_t>(out.size());
    if (options_.dry_run) return Status::Ok();
    return files_.Write(file, out);
  }

  Status Publish() {
    if (options_.dry_run) return Status::Ok();
    return files_.Commit();
  }

  Vault& vault_;
  const SourceConfig& source_;
  const RestoreOptions& options_;
  SourceRestore* report_;
  platform::FileSet files_;
  std::vector<int64_t> collections_;
  std::map<std::string, bool> folder_exists_;  // as found before this restore wrote anything
  std::map<std::string, Status> folder_links_;  // RefuseLinkedFolders' verdict per folder
  Status failures_;                             // the first file that could not be written
  std::string failed_names_;                    // the first kFailuresNamed of them, one a line
};

}  // namespace

bool RestoreReport::ok() const {
  return std::all_of(sources.begin(), sources.end(), [](const SourceRestore& s) { return s.error.ok(); });
}

Result<RestoreReport> RestoreDevice(Vault& vault, const Config& config, const RestoreOptions& options) {
  if (!options.only_source.empty() && config.FindSource(options.only_source) == nullptr) {
    return Status(ErrorCode::kNotFound, "no source named '" + options.only_source + "' (see `holdfast source list`)");
  }
  RestoreReport report;
  for (const SourceConfig& source : config.sources) {
    if (!options.only_source.empty() && source.name != options.only_source) continue;
    SourceRestore& result = report.sources.emplace_back();
    result.source = source.name;
    Status status;
    if (source.kind == SourceKind::kEds) {
      status = RestoreEdsSource(vault, source, options, &result);
    } else {
      SourceRestorer restorer(vault, source, options, &result);
      status = restorer.Run();
    }
    if (status.ok()) continue;
    // The vault failing is everyone's error; the device failing is this source's.
    if (status.code() == ErrorCode::kCorruptVault || status.code() == ErrorCode::kDamageFound) {
      return status.WithContext("restore of source '" + source.name + "'");
    }
    result.error = status.WithContext("source '" + source.name + "'");
  }
  return report;
}

}  // namespace holdfast::agent
