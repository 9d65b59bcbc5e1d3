#include "agent/device/capture.h"

#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "agent/device/eds_source.h"
#include "agent/device/file_prefetcher.h"
#include "platform/dav/content_compare.h"
#include "platform/dir_scan.h"
#include "platform/pim/icalendar_reader.h"
#include "platform/sha256.h"
#include "platform/stop_request.h"
#include "platform/pim/vcard_reader.h"
#include "platform/wire_text.h"

namespace holdfast::agent {
namespace {

namespace fs = std::filesystem;
using platform::Digest;
using platform::FileEntry;
using storage::CaptureProblem;
using storage::PutOutcome;
using storage::SourceFileRecord;
using storage::Vault;

// A batch is committed after this many files or bytes: large enough that
// fsync is not the bottleneck, small enough that a kill loses little work.
constexpr int64_t kFilesPerBatch = 10000;
constexpr int64_t kBytesPerBatch = 32ll << 20;
constexpr int64_t kMaxBlobBytesInBatch = 16ll << 20;
constexpr int kPhotoTreeDepth = 64;
constexpr int64_t kProgressEveryFiles = 256;
// A stat cache mtime that no file has: the file is read again at the next scan.
constexpr int64_t kRereadMtime = -1;

std::string DerivedUid(const std::string& source, const std::string& path, size_t index) {
  platform::Sha256 hasher;
  hasher.Update(source);
  hasher.Update("\0", 1);
  hasher.Update(path);
  hasher.Update("\0", 1);
  hasher.Update(std::to_string(index));
  return "hf-" + platform::ToHex(hasher.Finish()).substr(0, 32);
}

// Whether a UID's wire form is within the protocol's limit (most are far
// shorter than the limit: no need to encode them to know).
bool FitsOnTheWire(const std::string& uid) {
  constexpr size_t kSurelyFits = (platform::kMaxWireUidBytes - platform::kWireMarker.size()) * 3 / 4;
  return uid.size() <= kSurelyFits || platform::ToWireText(uid).size() <= platform::kMaxWireUidBytes;
}

bool HasExtension(const std::string& path, const char* extension) {
  size_t dot = path.rfind('.');
  if (dot == std::string::npos) return false;
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == extension;
}

// A skipped file for the report. The readers' messages have the form
// "<path>:<line>: <reason>"; the line goes into its own field.
CaptureProblem ProblemFrom(const std::string& source, const std::string& path, const Status& status,
                           int64_t now_ms) {
  CaptureProblem problem{source, path, 0, status.message(), now_ms};
  const std::string& message = status.message();
  if (message.rfind(path + ":", 0) != 0) return problem;
  size_t digits_begin = path.size() + 1;
  size_t digits_end = digits_begin;
  while (digits_end < message.size() && std::isdigit(static_cast<unsigned char>(message[digits_end]))) {
    ++digits_end;
  }
  if (digits_end == digits_begin || message.compare(digits_end, 2, ": ") != 0) return problem;
  problem.line = std::atoi(message.substr(digits_begin, digits_end - digits_begin).c_str());
  problem.reason = message.substr(digits_end + 2);
  return problem;
}

// Groups writes into batches; photos' blobs must be written between batches.
class BatchWriter {
 public:
  explicit BatchWriter(Vault& vault) : vault_(vault) {}

  Status Open() {
    if (batch_) return Status::Ok();
    Result<storage::WriteBatch> batch = vault_.BeginBatch();
    if (!batch) return batch.error();
    batch_.emplace(std::move(*batch));
    files_ = 0;
    bytes_ = 0;
    return Status::Ok();
  }
  // Counts one file's worth of writes; commits when the batch is full.
  Status Wrote(int64_t bytes) {
    ++files_;
    bytes_ += bytes;
    if (files_ >= kFilesPerBatch || bytes_ >= kBytesPerBatch) return Commit();
    return Status::Ok();
  }
  Status Commit() {
    if (!batch_) return Status::Ok();
    Status status = batch_->Commit();
    batch_.reset();
    return status;
  }

 private:
  Vault& vault_;
  std::optional<storage::WriteBatch> batch_;
  int64_t files_ = 0;
  int64_t bytes_ = 0;
};

class SourceCapturer {
 public:
  SourceCapturer(Vault& vault, const SourceConfig& source, const CaptureOptions& options,
                 SourceCapture* report)
      : vault_(vault), source_(source), options_(options), report_(report), writer_(vault) {}

  // Vault failures come back as errors; source failures go into the report.
  Status Run() {
    if (source_.kind == SourceKind::kEds) return RunEds();
    std::vector<FileEntry>& files = files_;
    targeted_ = !options_.only_paths.empty() && ScanPaths(&files);
    if (!targeted_ && !Scan(&files)) return Status::Ok();
    report_->files_seen = static_cast<int64_t>(files.size());
    IndexScannedFiles();
    HF_RETURN_IF_ERROR(LoadState(files));

    std::vector<const FileEntry*> to_read;
    for (size_t i = 0; i < files.size(); ++i) {
      if (unchanged_[i]) {
        ++report_->files_unchanged;
      } else {
        to_read.push_back(&files[i]);
      }
    }
    for (const MissingFile& missing : missing_) {
      missing_by_content_[{missing.collection_id, missing.sha256}] = missing.path;
    }

    for (const FileEntry* file : to_read) will_read_[IndexOf(*file)] = true;
    progress_ = {source_.name, 0, static_cast<int64_t>(to_read.size()), 0};
    const bool photos = source_.kind == SourceKind::kPhotos;
    FilePrefetcher::Parser parser;
    if (!photos) {
      parser = source_.kind == SourceKind::kContacts ? platform::ReadVcardFile : platform::ReadIcalendarFile;
    }
    // Paths are made as the worker reaches each file, not all at once.
    FilePrefetcher prefetcher(
        to_read.size(), [&](size_t i) { return std::make_pair(FullPath(*to_read[i]), to_read[i]->path); }, parser,
        photos ? kMaxBlobBytesInBatch : platform::kMaxPimFileBytes);
    PrefetchedFile prefetched;
    while (prefetcher.Next(&prefetched)) {
      if (platform::StopRequested()) {
        // What was stored so far stays (each file's items with its stat
        // cache entry); the files not reached are read by the next capture,
        // and a scan that did not finish records no deletion.
        HF_RETURN_IF_ERROR(writer_.Commit());
        return platform::StoppedStatus("capture");
      }
      const FileEntry& file = *to_read[prefetched.index];
      HF_RETURN_IF_ERROR(photos ? StorePhoto(file, prefetched) : StorePimFile(file, prefetched));
      ReportProgress();
    }
    if (options_.progress && !to_read.empty()) options_.progress(progress_);
    HF_RETURN_IF_ERROR(writer_.Commit());
    HF_RETURN_IF_ERROR(ApplyDeletions());
    return vault_.capture_state().ReplaceCaptureProblems(source_.name, report_->problems);
  }

 private:
  // An eds source: each chosen EDS collection is one "file" (eds_source.h),
  // read whole when its revision changed.
  Status RunEds() {
    Result<std::unique_ptr<platform::eds::EdsStore>> store = platform::eds::EdsStore::Connect(source_.path);
    if (!store) return FailEds(store.error());
    Result<std::vector<platform::eds::EdsCollection>> chosen = ChooseEdsCollections(**store, source_);
    if (!chosen) return FailEds(chosen.error());
    std::vector<FileEntry>& files = files_;
    std::vector<const platform::eds::EdsCollection*> collection_of_file;
    for (const platform::eds::EdsCollection& c : *chosen) {
      Result<std::string> revision = (*store)->Revision(c);
      if (!revision) return FailEds(revision.error());
      FileEntry entry;
      entry.path = EdsCachePath(c);
      entry.mtime_ns = EdsRevisionStamp(c, *revision);
      // A revision read in its own second: read now, and again next time
      // (stamps are never kRereadMtime, so such an entry never matches).
      if (!EdsRevisionSettled(*revision, static_cast<int64_t>(std::time(nullptr)))) entry.mtime_ns = kRereadMtime;
      eds_kinds_[entry.path] = ItemKindOfEds(c.kind);
      files.push_back(std::move(entry));
      collection_of_file.push_back(&c);
    }
    report_->files_seen = static_cast<int64_t>(files.size());
    IndexScannedFiles();
    HF_RETURN_IF_ERROR(LoadState(files));
    for (size_t i = 0; i < files.size(); ++i) {
      const FileEntry& file = files[i];
      // An EDS entry has no size or inode (both 0): its stamp decides.
      if (unchanged_[i] && file.mtime_ns != kRereadMtime) {
        ++report_->files_unchanged;
        continue;
      }
      if (platform::StopRequested()) {
        HF_RETURN_IF_ERROR(writer_.Commit());
        return platform::StoppedStatus("capture");
      }
      std::vector<std::string> problems;
      Result<PrefetchedFile> read = ReadEdsCollection(**store, *collection_of_file[i], &problems);
      for (std::string& problem : problems) {
        report_->problems.push_back({source_.name, file.path, 0, std::move(problem), options_.now_ms});
      }
      if (!read) {
        // EDS failed midway: what was stored stays, and no deletion is recorded.
        HF_RETURN_IF_ERROR(writer_.Commit());
        return FailEds(read.error());
      }
      if (read->read_error.ok()) {
        HF_RETURN_IF_ERROR(KeepEquivalentContent(file.path, &*read));
        // An EDS collection that holds nothing counts as gone, as a vdir
        // folder whose files all vanished does: a reset leaves EDS's own
        // collections there, empty, and the guard must see that.
        if (read->items->empty()) {
          Result<int64_t> collection_id = CollectionFor(file.path);
          if (!collection_id) return collection_id.error();
          present_files_[*collection_id] = 0;
        }
      }
      HF_RETURN_IF_ERROR(StorePimFile(file, *read));
    }
    HF_RETURN_IF_ERROR(writer_.Commit());
    HF_RETURN_IF_ERROR(ApplyDeletions());
    return vault_.capture_state().ReplaceCaptureProblems(source_.name, report_->problems);
  }

  // EDS rewrites what it stores (REV at every write; PRODID): an item that
  // is the vault's current content but for what platform::dav::SameItemContent
  // ignores keeps the vault's bytes, so that a restore-device followed by a
  // capture records no change.
  Status KeepEquivalentContent(const std::string& path, PrefetchedFile* file) {
    Result<int64_t> collection_id = CollectionFor(path);
    if (!collection_id) return collection_id.error();
    Result<std::vector<storage::ItemRecord>> current = vault_.ListItems(*collection_id);
    if (!current) return current.error();
    std::unordered_map<std::string, const storage::ItemRecord*> live;
    for (const storage::ItemRecord& record : *current) {
      if (!record.deleted) live.emplace(record.uid, &record);
    }
    std::vector<platform::PimItem>& items = *file->items;
    for (size_t i = 0; i < items.size(); ++i) {
      auto it = live.find(items[i].uid);
      if (items[i].uid.empty() || it == live.end() || it->second->sha256 == file->item_sha256[i]) continue;
      Result<std::string> stored = vault_.ReadRevisionBytes(it->second->head_revision_id, platform::kMaxPimFileBytes);
      if (!stored) return stored.error();
      if (platform::dav::SameItemContent(*stored, items[i].raw)) {
        items[i].raw = std::move(*stored);
        file->item_sha256[i] = it->second->sha256;
      }
    }
    return Status::Ok();
  }

  // A stat cache entry whose file this scan did not find.
  struct MissingFile {
    std::string path;
    int64_t collection_id;
    Digest sha256;
  };

  // Lists the source's files. False (with report_->error set) when the source
  // cannot be scanned at all: then nothing else may happen to it.
  bool Scan(std::vector<FileEntry>* files) {
    const fs::path root(source_.path);
    const char* ext = source_.kind == SourceKind::kContacts ? "vcf" : "ics";
    // A path named *.vcf / *.ics is a single export file, anything else a
    // folder: decided by the name, not by what is there now, so a folder
    // replaced by a file is an error rather than a different source.
    const bool is_file = source_.kind != SourceKind::kPhotos && HasExtension(source_.path, ext);
    if (is_file) {
      Result<FileEntry> entry = platform::StatFile(root);
      if (!entry) return Fail(entry.error());
      files->push_back(*entry);
      single_file_collection_ = root.stem().string();
      return true;
    }
    Result<platform::ScanResult> scan =
        platform::ScanTree(root, source_.kind == SourceKind::kPhotos ? kPhotoTreeDepth : 1);
    if (!scan) return Fail(scan.error());
    for (const std::string& problem : scan->problems) {
      std::string path = problem.substr(0, problem.rfind(": "));
      report_->problems.push_back(
          {source_.name, path, 0, "cannot be listed: " + problem + " (no deletion recorded below it)",
           options_.now_ms});
      unreadable_.push_back(std::move(path));
    }
    for (const platform::SpecialEntry& entry : scan->special) {
      if (source_.kind != SourceKind::kPhotos && !HasExtension(entry.path, ext)) continue;
      // Never opened; what was captured from this path before stays live.
      report_->problems.push_back({source_.name, entry.path, 0,
                                   "not a regular file (" + entry.what +
                                       "): skipped, and no deletion recorded for it",
                                   options_.now_ms});
      unreadable_.push_back(entry.path);
    }
    for (FileEntry& file : scan->files) {
      if (source_.kind == SourceKind::kPhotos || HasExtension(file.path, ext)) {
        files->push_back(std::move(file));
      }
    }
    return true;
  }

  // The files of options_.only_paths, each a regular file of the source
  // found now. False (files left empty) when one is not: then the caller
  // scans the whole source instead.
  bool ScanPaths(std::vector<FileEntry>* files) {
    const char* ext = source_.kind == SourceKind::kContacts ? "vcf" : "ics";
    const int max_depth = source_.kind == SourceKind::kPhotos ? kPhotoTreeDepth : 1;
    if (source_.kind != SourceKind::kPhotos && HasExtension(source_.path, ext)) return false;  // one export file
    if (source_.kind == SourceKind::kEds) return false;  // EDS is read whole, collection by collection
    std::set<std::string_view> seen;
    for (const std::string& path : options_.only_paths) {
      if (!seen.insert(path).second) continue;  // named twice: looked at once
      const bool bad = path.empty() || path.front() == '/' || path.back() == '/' ||
                       ("/" + path + "/").find("/../") != std::string::npos ||
                       ("/" + path + "/").find("/./") != std::string::npos ||
                       std::count(path.begin(), path.end(), '/') > max_depth;
      if (bad) return ClearedFalse(files);
      // A file the full scan would skip (not .vcf/.ics) changes nothing.
      if (source_.kind != SourceKind::kPhotos && !HasExtension(path, ext)) continue;
      // A symlink is never followed (the full scan reports it as skipped),
      // neither as the file nor as a folder on the way to it.
      struct stat st;
      for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
        if (lstat((source_.path + "/" + path.substr(0, slash)).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
          return ClearedFalse(files);
        }
      }
      if (lstat((source_.path + "/" + path).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return ClearedFalse(files);
      Result<FileEntry> entry = platform::StatFile(fs::path(source_.path) / path);
      if (!entry) return ClearedFalse(files);
      entry->path = path;
      files->push_back(std::move(*entry));
    }
    return true;
  }

  static bool ClearedFalse(std::vector<FileEntry>* files) {
    files->clear();
    return false;
  }

  // An eds source EDS could not give: no deletion is recorded for it.
  Status FailEds(const Status& status) {
    report_->error = Status(status.code(), "source '" + source_.name + "': " + status.message() +
                                               " (no deletion was recorded)");
    return Status::Ok();
  }

  bool Fail(const Status& status) {
    report_->error = Status(status.code(), "source '" + source_.name + "': " + status.message() +
                                               " (the source is missing, not mounted, unreadable or not a file or folder; "
                                               "no deletion was recorded)");
    return false;
  }

  std::string CollectionName(const std::string& path) const {
    if (!single_file_collection_.empty()) return single_file_collection_;
    if (source_.kind == SourceKind::kEds) return path.substr(path.find('/') + 1);  // the EDS UID
    if (source_.kind == SourceKind::kPhotos) return source_.name;
    size_t slash = path.find('/');
    if (slash != std::string::npos) return path.substr(0, slash);
    return fs::path(source_.path).filename().string();
  }

  Result<int64_t> CollectionFor(const std::string& path) {
    const std::string name = CollectionName(path);
    auto it = collection_ids_.find(name);
    if (it != collection_ids_.end()) return it->second;
    const storage::ItemKind kind = source_.kind == SourceKind::kEds ? eds_kinds_.at(path) : ItemKindOf(source_.kind);
    Result<int64_t> id = vault_.EnsureCollection(kind, name, source_.name);
    if (!id) return id.error();
    collection_ids_[name] = *id;
    return *id;
  }

  // Compares the scan with the stat cache: which files are unchanged
  // (unchanged_), which had an entry (cached_), and which entries' files are
  // gone (missing_). The cache is streamed in path order beside the files in
  // path order (by_path_), so that it is never held in memory.
  Status LoadState(const std::vector<FileEntry>& files) {
    std::set<int64_t> collections;
    auto compare = [&](size_t i, const SourceFileRecord& record) {
      const FileEntry& file = files[i];
      cached_[i] = true;
      unchanged_[i] = record.size_bytes == file.size_bytes && record.mtime_ns == file.mtime_ns &&
                      record.inode == file.inode;
    };
    if (targeted_) {
      // Only the entries of the files looked at: the others are not missing.
      for (size_t i = 0; i < files.size(); ++i) {
        Result<std::optional<SourceFileRecord>> record =
            vault_.capture_state().GetSourceFile(source_.name, files[i].path);
        if (!record) return record.error();
        if (!*record) continue;
        collections.insert((*record)->collection_id);
        compare(i, **record);
      }
    } else {
      size_t next = 0;  // position in by_path_
      std::string previous;
      bool first = true;
      HF_RETURN_IF_ERROR(vault_.capture_state().ForEachSourceFile(source_.name, [&](SourceFileRecord&& record) {
        // The merge needs both sides in one order: entries out of it would
        // look like vanished files, and those would be recorded as deletions.
        if (!first && !(previous < record.path)) {
          return Status(ErrorCode::kInternal, "the stat cache of source '" + source_.name +
                                                  "' came out of path order at '" + record.path + "'");
        }
        first = false;
        previous = record.path;
        collections.insert(record.collection_id);
        while (next < by_path_.size() && files[by_path_[next]].path < record.path) ++next;
        if (next < by_path_.size() && files[by_path_[next]].path == record.path) {
          compare(by_path_[next++], record);
        } else if (!BelowUnreadable(record.path)) {
          missing_.push_back({std::move(record.path), record.collection_id, record.sha256});
        }
        return Status::Ok();
      }));
    }
    for (const FileEntry& file : files) {
      Result<int64_t> id = CollectionFor(file.path);
      if (!id) return id.error();
      collections.insert(*id);
      ++present_files_[*id];
    }
    for (int64_t id : collections) {
      Result<int64_t> live = vault_.CountLiveItems(id);
      if (!live) return live.error();
      items_before_[id] = *live;
    }
    return Status::Ok();
  }

  // What lies in or below a folder that could not be listed is not known
  // to be gone: it counts as present, so no deletion is recorded for it.
  bool BelowUnreadable(const std::string& path) const {
    for (const std::string& folder : unreadable_) {
      if (path == folder || path.compare(0, folder.size() + 1, folder + "/") == 0) return true;
    }
    return false;
  }

  // Indexes files_ by path, once it is complete (before anything is read).
  void IndexScannedFiles() {
    by_path_.resize(files_.size());
    for (size_t i = 0; i < files_.size(); ++i) by_path_[i] = i;
    std::sort(by_path_.begin(), by_path_.end(),
              [&](size_t a, size_t b) { return files_[a].path < files_[b].path; });
    will_read_.assign(files_.size(), false);
    read_done_.assign(files_.size(), false);
    cached_.assign(files_.size(), false);
    unchanged_.assign(files_.size(), false);
  }

  // The position in files_ of a file this scan found, by path.
  std::optional<size_t> ScannedIndex(const std::string& path) const {
    auto it = std::lower_bound(by_path_.begin(), by_path_.end(), path,
                               [&](size_t i, const std::string& p) { return files_[i].path < p; });
    if (it == by_path_.end() || files_[*it].path != path) return std::nullopt;
    return *it;
  }

  size_t IndexOf(const FileEntry& file) const { return static_cast<size_t>(&file - files_.data()); }

  // A new path whose bytes equal a vanished file of the same collection is
  // that file, moved: its items keep their revisions.
  // The caller removes the old path's cache entry once its items have moved.
  std::optional<std::string> TakeMovedFrom(int64_t collection_id, const FileEntry& file, const Digest& sha256) {
    if (cached_[IndexOf(file)]) return std::nullopt;
    auto it = missing_by_content_.find({collection_id, sha256});
    if (it == missing_by_content_.end()) return std::nullopt;
    std::string old_path = it->second;
    missing_by_content_.erase(it);
    moved_away_.insert(old_path);
    return old_path;
  }

  // Plain string concatenation: std::filesystem::path costs more here, once
  // per file of a 100,000-file source.
  std::string FullPath(const FileEntry& file) const {
    return single_file_collection_.empty() ? source_.path + "/" + file.path : source_.path;
  }

  void ReportProgress() {
    ++progress_.files_done;
    progress_.bytes_done = report_->bytes_read;
    if (options_.progress && progress_.files_done % kProgressEveryFiles == 0) options_.progress(progress_);
  }

  // Writes one read and parsed .vcf/.ics file's items and its stat cache entry.
  Status StorePimFile(const FileEntry& file, const PrefetchedFile& prefetched) {
    if (!prefetched.read_error.ok()) {
      report_->problems.push_back(ProblemFrom(source_.name, file.path, prefetched.read_error, options_.now_ms));
      return Status::Ok();
    }
    report_->bytes_read += static_cast<int64_t>(prefetched.size_bytes);
    ++report_->files_read;
    const Result<std::vector<platform::PimItem>>& items = prefetched.items;
    if (!items) {
      // Skipped: what an earlier capture stored from this file stays as it is.
      report_->problems.push_back(ProblemFrom(source_.name, file.path, items.error(), options_.now_ms));
      return Status::Ok();
    }
    Result<int64_t> collection_id = CollectionFor(file.path);
    if (!collection_id) return collection_id.error();
    const Digest& file_sha = prefetched.sha256;

    HF_RETURN_IF_ERROR(writer_.Open());
    const std::optional<std::string> moved_from = TakeMovedFrom(*collection_id, file, file_sha);
    // Items this file held before, to find the ones that left it. A path
    // without a cache entry holds none: items and cache entries are written
    // in the same transaction.
    const std::string previous_path = moved_from.value_or(file.path);
    std::set<std::string> before;
    if (moved_from || cached_[IndexOf(file)]) {
      Result<std::vector<std::string>> held = vault_.capture_state().SourceFileItemUids(source_.name, previous_path);
      if (!held) return held.error();
      Result<std::vector<std::string>> live = vault_.LiveAtPath(*collection_id, previous_path, *held);
      if (!live) return live.error();
      before.insert(live->begin(), live->end());
    }
    if (moved_from) HF_RETURN_IF_ERROR(vault_.capture_state().RemoveSourceFile(source_.name, *moved_from));
    std::vector<std::string> uids;

    const size_t file_index = IndexOf(file);
    read_done_[file_index] = true;
    for (const platform::PimItem& item : *items) {
      if (!item.uid.empty()) uids_read_.insert(UidInFile::Of(file_index, item.uid));
    }
    std::set<std::string> claimed_here;
    for (size_t i = 0; i < items->size(); ++i) {
      const platform::PimItem& item = (*items)[i];
      // An item's identity is its UID unless another item already holds that
      // UID: earlier in this file, or in another file of the collection that
      // still has it. Then it is a different item (two copies of one contact
      // that differ, say) and gets a path-derived uid, so that neither copy
      // replaces the other.
      bool own_uid = !item.uid.empty() && FitsOnTheWire(item.uid) && claimed_here.insert(item.uid).second;
      // An item this file (or the one it moved from) already held is live
      // there: no other file holds it, and the vault need not be asked.
      if (own_uid && before.count(item.uid) == 0) {
        Result<bool> elsewhere = UidHeldElsewhere(*collection_id, item.uid, file.path, moved_from);
        if (!elsewhere) return elsewhere.error();
        own_uid = !*elsewhere;
      }
      std::string uid = own_uid ? item.uid : DerivedUid(source_.name, file.path, i);
      // A path-derived uid follows its file to the new path.
      std::string old_uid = moved_from && !own_uid ? DerivedUid(source_.name, *moved_from, i) : uid;
      const bool was_in_file = before.erase(old_uid) > 0;
      if (was_in_file && old_uid != uid) {
        HF_RETURN_IF_ERROR(vault_.RenameItem(*collection_id, old_uid, uid, file.path));
      }
      if (was_in_file && moved_from) ++report_->items_moved;
      Result<PutOutcome> put = vault_.PutItemHashed(*collection_id, uid, item.raw, prefetched.item_sha256[i],
                                                    item.summary, options_.now_ms, file.path);
      if (!put) return put.error();
      Count(*put);
      uids.push_back(std::move(uid));
    }
    // Gone from this file; checked again at the end, as another file of this
    // scan may hold them now.
    for (const std::string& uid : before) lost_[*collection_id][file.path].push_back(uid);

    // Until their deletion is recorded, items gone from a file that is still
    // there stay listed in its cache entry, and the entry's mtime is one no
    // file has: the next scan reads the file again and finds them missing
    // again. Otherwise a guard that tripped (or a kill before the deletions
    // were recorded) would be forgotten once the file looked unchanged.
    const bool lost_some = !before.empty();
    uids.insert(uids.end(), before.begin(), before.end());
    SourceFileRecord record{file.path,  *collection_id, file.size_bytes, lost_some ? kRereadMtime : file.mtime_ns,
                            file.inode, file_sha,       std::move(uids)};
    HF_RETURN_IF_ERROR(vault_.capture_state().PutSourceFile(source_.name, record));
    return writer_.Wrote(static_cast<int64_t>(prefetched.size_bytes));
  }

  // Whether the live item `uid` of the collection belongs to another file of
  // this source that still holds it: a file present in this scan that either
  // was read in it and has the UID, or is not read in it (unchanged since it
  // had it). A UID whose file is gone (or is this file, or the one it moved from)
  // is free to take: the item moved here.
  Result<bool> UidHeldElsewhere(int64_t collection_id, const std::string& uid, const std::string& path,
                                const std::optional<std::string>& moved_from) {
    Result<std::optional<std::string>> held_at = vault_.LivePathOf(collection_id, uid);
    if (!held_at) return held_at.error();
    if (!held_at->has_value()) return false;
    const std::string& other = **held_at;
    if (other.empty() || other == path || (moved_from && other == *moved_from)) return false;
    const std::optional<size_t> scanned = ScannedIndex(other);
    if (targeted_ && !scanned) {
      // Not looked at: held there while that file exists (a full scan
      // decides what happened to it).
      struct stat st;
      return lstat((source_.path + "/" + other).c_str(), &st) == 0;
    }
    if (!scanned || moved_away_.count(other) != 0) return false;
    if (read_done_[*scanned]) return uids_read_.count(UidInFile::Of(*scanned, uid)) != 0;
    // Not read yet but about to be: it changed, so the UID may have moved
    // here; taking it is right then, and if that file still has it, its copy
    // becomes the path-derived item when it is read.
    return !will_read_[*scanned];
  }

  // Writes one photo into the blob store, its item and its stat cache entry.
  // A photo read ahead joins the open batch; a large video is streamed from
  // its file in transactions of its own, so that no batch grows unbounded.
  Status StorePhoto(const FileEntry& file, PrefetchedFile& prefetched) {
    Result<storage::BlobRef> blob = Status(ErrorCode::kInternal, "unset");
    bool file_failed = false;
    if (file.size_bytes > kMaxBlobBytesInBatch) {
      HF_RETURN_IF_ERROR(writer_.Commit());
      blob = vault_.blobs().PutBlobFromFile(FullPath(file), &file_failed);
    } else if (!prefetched.read_error.ok()) {
      blob = prefetched.read_error;
      file_failed = true;
    } else {
      HF_RETURN_IF_ERROR(writer_.Open());
      blob = vault_.blobs().PutBlobBytes(prefetched.content, prefetched.sha256);
    }
    if (!blob) {
      // An unreadable photo is the source's problem and the capture goes on;
      // any vault error stops it (the vault's transaction may be gone:
      // tests/crash/power_cut_test.cc fails an I/O operation at every step).
      if (!file_failed) return blob.error();
      report_->problems.push_back(ProblemFrom(source_.name, file.path, blob.error(), options_.now_ms));
      return Status::Ok();
    }
    report_->bytes_read += static_cast<int64_t>(blob->size_bytes);
    ++report_->files_read;
    Result<int64_t> collection_id = CollectionFor(file.path);
    if (!collection_id) return collection_id.error();
    HF_RETURN_IF_ERROR(writer_.Open());
    const std::optional<std::string> moved_from = TakeMovedFrom(*collection_id, file, blob->sha256);
    if (moved_from) {
      HF_RETURN_IF_ERROR(vault_.RenameItem(*collection_id, *moved_from, file.path, file.path));
      HF_RETURN_IF_ERROR(vault_.capture_state().RemoveSourceFile(source_.name, *moved_from));
      ++report_->items_moved;
    }
    const std::string name = fs::path(file.path).filename().string();
    Result<PutOutcome> put =
        vault_.PutItemBlob(*collection_id, file.path, *blob, name, options_.now_ms, file.path);
    if (!put) return put.error();
    Count(*put);
    SourceFileRecord record{file.path,  *collection_id, file.size_bytes, file.mtime_ns,
                            file.inode, blob->sha256,   {file.path}};
    HF_RETURN_IF_ERROR(vault_.capture_state().PutSourceFile(source_.name, record));
    return writer_.Wrote(static_cast<int64_t>(blob->size_bytes));
  }

  void Count(PutOutcome outcome) {
    switch (outcome) {
      case PutOutcome::kCreated: ++report_->items_new; break;
      case PutOutcome::kChanged: ++report_->items_changed; break;
      case PutOutcome::kRestored: ++report_->items_restored; break;
      case PutOutcome::kUnchanged: ++report_->items_unchanged; break;
    }
  }

  // Tombstones what vanished, collection by collection, unless the guard trips.
  Status ApplyDeletions() {
    std::map<int64_t, std::vector<std::string>> missing_paths;
    for (const MissingFile& missing : missing_) {
      const std::string& path = missing.path;
      if (moved_away_.count(path) != 0) continue;
      missing_paths[missing.collection_id].push_back(path);
      Result<std::vector<std::string>> held = vault_.capture_state().SourceFileItemUids(source_.name, path);
      if (!held) return held.error();
      std::vector<std::string>& candidates = lost_[missing.collection_id][path];
      candidates.insert(candidates.end(), held->begin(), held->end());
    }
    std::map<int64_t, std::string> names;
    for (const auto& [name, id] : collection_ids_) names[id] = name;
    Result<std::vector<storage::CollectionInfo>> all = vault_.ListCollections();
    if (!all) return all.error();
    for (const storage::CollectionInfo& c : *all) names[c.id] = c.name;

    HF_RETURN_IF_ERROR(writer_.Open());
    for (const auto& [collection_id, before] : items_before_) {
      // Only what is still live and still last seen where it went missing.
      std::vector<std::string> lost;
      for (const auto& [path, candidates] : lost_[collection_id]) {
        Result<std::vector<std::string>> live = vault_.LiveAtPath(collection_id, path, candidates);
        if (!live) return live.error();
        lost.insert(lost.end(), live->begin(), live->end());
      }
      const int64_t missing = static_cast<int64_t>(lost.size());
      const bool emptied = present_files_[collection_id] == 0 && before > 0 && missing > 0;
      const bool too_many = missing * 100 > before * source_.loss_percent && missing > source_.loss_min_items;
      if ((emptied || too_many) && !options_.accept_deletions) {
        HF_RETURN_IF_ERROR(vault_.capture_state().RaiseLossAlert({collection_id, options_.now_ms, before, missing}));
        report_->losses_suspected.push_back({names[collection_id], before, missing});
        continue;
      }
      for (const std::string& uid : lost) {
        Result<bool> gone = vault_.TombstoneItem(collection_id, uid, options_.now_ms);
        if (!gone) return gone.error();
        if (*gone) ++report_->items_deleted;
      }
      for (const std::string& path : missing_paths[collection_id]) {
        HF_RETURN_IF_ERROR(vault_.capture_state().RemoveSourceFile(source_.name, path));
      }
      // A targeted capture did not look for missing files: an open alert stays.
      if (!targeted_) HF_RETURN_IF_ERROR(vault_.capture_state().ClearLossAlert(collection_id));
    }
    return writer_.Commit();
  }

  Vault& vault_;
  const SourceConfig& source_;
  const CaptureOptions& options_;
  SourceCapture* report_;
  BatchWriter writer_;
  CaptureProgress progress_;
  std::string single_file_collection_;  // set when the source is one export file
  bool targeted_ = false;               // only options_.only_paths were looked at
  std::map<std::string, int64_t> collection_ids_;
  std::map<std::string, storage::ItemKind> eds_kinds_;  // eds source: each collection's kind, by path
  std::vector<MissingFile> missing_;  // stat cache entries whose file this scan did not find
  std::set<std::string> moved_away_;
  std::vector<std::string> unreadable_;  // folders of the source the scan could not list
  std::map<std::pair<int64_t, Digest>, std::string> missing_by_content_;
  // The files this scan found, positions in files_ sorted by path, and for
  // each (by position) what the stat cache has of it, whether this scan
  // reads it (changed or new) and whether it has read it already. Flat
  // arrays, not sets of paths: a few bytes per file instead of a copy of its
  // path.
  std::vector<FileEntry> files_;
  std::vector<size_t> by_path_;
  std::vector<bool> cached_;     // has a stat cache entry
  std::vector<bool> unchanged_;  // ... with its size, mtime and inode
  std::vector<bool> will_read_;
  std::vector<bool> read_done_;
  // A UID held by a file read in this scan: the file's position and a hash of
  // the UID. Two UIDs of one file that share a 64-bit hash are taken as one
  // (a chance of about 2^-64 per lookup; it would give an item a
  // path-derived uid, never lose it).
  struct UidInFile {
    size_t file;
    uint64_t uid_hash;
    static UidInFile Of(size_t file, const std::string& uid) {
      return {file, std::hash<std::string_view>()(uid)};
    }
    bool operator==(const UidInFile&) const = default;
  };
  struct UidInFileHash {
    size_t operator()(const UidInFile& u) const { return u.uid_hash ^ (u.file * 0x9E3779B97F4A7C15ull); }
  };
  std::unordered_set<UidInFile, UidInFileHash> uids_read_;
  std::map<int64_t, int64_t> items_before_;
  std::map<int64_t, int64_t> present_files_;
  // Per collection and path, the uids this scan did not find there: in files
  // that vanished, or gone from a file that is still there.
  std::map<int64_t, std::map<std::string, std::vector<std::string>>> lost_;
};

}  // namespace

bool CaptureReport::all_scanned() const {
  return std::all_of(sources.begin(), sources.end(),
                     [](const SourceCapture& s) { return s.error.ok(); });
}

Result<CaptureReport> Capture(Vault& vault, const Config& config, const CaptureOptions& options) {
  if (options.accept_deletions && options.only_source.empty()) {
    return Status(ErrorCode::kInvalidArgument, "--accept-deletions needs the name of one source");
  }
  if (!options.only_paths.empty() && options.only_source.empty()) {
    return Status(ErrorCode::kInvalidArgument, "a capture of some files needs the name of their source");
  }
  if (!options.only_source.empty() && config.FindSource(options.only_source) == nullptr) {
    return Status(ErrorCode::kNotFound, "no source named '" + options.only_source +
                                            "' (see `holdfast source list`)");
  }
  CaptureReport report;
  for (const SourceConfig& source : config.sources) {
    if (!options.only_source.empty() && source.name != options.only_source) continue;
    SourceCapture& result = report.sources.emplace_back();
    result.source = source.name;
    SourceCapturer capturer(vault, source, options, &result);
    HF_RETURN_IF_ERROR(capturer.Run().WithContext("capture of source '" + source.name + "'"));
  }
  return report;
}

}  // namespace holdfast::agent
