// restore-device for an eds source (eds_source.h).
#include <algorithm>
#include <map>

#include "agent/archive/snapshot.h"
#include "agent/device/eds_source.h"
#include "agent/device/restore.h"
#include "platform/dav/content_compare.h"
#include "platform/pim/icalendar_reader.h"
#include "platform/pim/vcard_reader.h"
#include "storage/capture_state.h"

namespace holdfast::agent {
namespace {

using platform::eds::EdsCollection;
using platform::eds::EdsKind;
using platform::eds::EdsStore;

// Items per request to EDS: EDS writes each request in one transaction;
// larger requests gain little and hold EDS longer.
constexpr size_t kItemsPerRequest = 500;

// The UID of an item's text ("" when it has none or cannot be read).
std::string UidOf(EdsKind kind, std::string_view text) {
  Result<std::vector<platform::PimItem>> items =
      kind == EdsKind::kAddressBook ? platform::ReadVcardFile(text, "item") : platform::ReadIcalendarFile(text, "item");
  return items && !items->empty() ? (*items)[0].uid : std::string();
}

class EdsRestorer {
 public:
  EdsRestorer(storage::Vault& vault, EdsStore& store, const RestoreOptions& options, SourceRestore* report)
      : vault_(vault), store_(store), options_(options), report_(report) {}

  Status RestoreCollection(const storage::CollectionInfo& info, const std::vector<SnapshotItem>& items) {
    const EdsCollection collection{EdsKindOfItems(info.kind), info.name, info.name, "local", true};
    if (!options_.dry_run) HF_RETURN_IF_ERROR(store_.EnsureLocalCollection(collection));
    // What EDS holds now, by UID (photos inlined, as capture reads them).
    std::map<std::string, std::string> present;
    std::vector<std::string> problems;
    Status read = store_.ReadItems(
        collection,
        [&](std::string_view text) {
          present.emplace(UidOf(collection.kind, text), std::string(text));
          return Status::Ok();
        },
        &problems);
    // A dry run against a collection EDS does not have yet: all is missing.
    if (!read.ok() && !(options_.dry_run && read.code() == ErrorCode::kNotFound)) return read;

    std::vector<std::string> to_add, to_replace;
    for (const SnapshotItem& s : items) {
      Result<std::string> content = vault_.ReadRevisionBytes(s.revision.id, platform::kMaxPimFileBytes);
      if (!content) return content.error();
      auto there = present.find(UidOf(collection.kind, *content));
      if (there == present.end()) {
        to_add.push_back(std::move(*content));
      } else if (platform::dav::SameItemContent(there->second, *content)) {
        ++report_->files_present;
      } else if (options_.overwrite) {
        to_replace.push_back(std::move(*content));
      } else {
        ++report_->files_differ;
      }
    }
    HF_RETURN_IF_ERROR(Write(collection, to_add, /*replace=*/false));
    return Write(collection, to_replace, /*replace=*/true);
  }

  Status failures() const { return failures_; }

 private:
  // In requests of kItemsPerRequest; a request EDS refuses is retried item
  // by item, so that one item it will not take costs only that item.
  Status Write(const EdsCollection& collection, const std::vector<std::string>& texts, bool replace) {
    for (size_t begin = 0; begin < texts.size(); begin += kItemsPerRequest) {
      const size_t end = std::min(texts.size(), begin + kItemsPerRequest);
      std::vector<std::string> chunk(texts.begin() + static_cast<std::ptrdiff_t>(begin),
                                     texts.begin() + static_cast<std::ptrdiff_t>(end));
      if (!options_.dry_run) {
        Status written = replace ? store_.ReplaceItems(collection, chunk) : store_.AddItems(collection, chunk);
        if (!written.ok()) {
          if (written.code() == ErrorCode::kNotFound && chunk.size() > 1) return written;  // the collection is gone
          for (const std::string& text : chunk) {
            Status one = replace ? store_.ReplaceItems(collection, {text}) : store_.AddItems(collection, {text});
            if (one.ok()) {
              Count(text, replace);
              continue;
            }
            ++report_->files_failed;
            if (failures_.ok()) failures_ = one;
          }
          continue;
        }
      }
      for (const std::string& text : chunk) Count(text, replace);
    }
    return Status::Ok();
  }

  void Count(const std::string& text, bool replace) {
    ++(replace ? report_->files_replaced : report_->files_written);
    ++report_->items_written;
    report_->bytes_written += static_cast<int64_t>(text.size());
  }

  storage::Vault& vault_;
  EdsStore& store_;
  const RestoreOptions& options_;
  SourceRestore* report_;
  Status failures_;  // the first item EDS refused
};

}  // namespace

Status RestoreEdsSource(storage::Vault& vault, const SourceConfig& source, const RestoreOptions& options,
                        SourceRestore* report) {
  report->counts_items = true;
  Result<std::unique_ptr<EdsStore>> store = EdsStore::Connect(source.path);
  if (!store) return store.error();
  EdsRestorer restorer(vault, **store, options, report);
  SnapshotFilter filter;
  filter.source = source.name;
  filter.as_of_ms = options.as_of_ms;
  std::vector<int64_t> collections;
  Result<storage::WriteBatch> reading = vault.BeginBatch();
  if (!reading) return reading.error();
  Status status = ForEachSnapshotCollection(vault, filter, [&](const storage::CollectionInfo& c,
                                                               std::vector<SnapshotItem>&& items) {
    collections.push_back(c.id);
    return restorer.RestoreCollection(c, items);
  });
  if (!status.ok()) return status;
  HF_RETURN_IF_ERROR(reading->Commit());
  if (report->files_failed > 0) {
    return Status(restorer.failures().code(), std::to_string(report->files_failed) +
                                                  " items were not taken by EDS; the first: " +
                                                  restorer.failures().message());
  }
  if (options.dry_run) return Status::Ok();
  // Restored whole: the loss alerts of its collections are answered.
  Result<int64_t> cleared = vault.capture_state().ClearLossAlerts(collections);
  if (!cleared) return cleared.error();
  report->alerts_cleared += *cleared;
  return Status::Ok();
}

}  // namespace holdfast::agent
