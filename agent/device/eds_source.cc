#include "agent/device/eds_source.h"

#include <time.h>

#include <algorithm>

#include "platform/pim/icalendar_reader.h"
#include "platform/pim/vcard_reader.h"
#include "platform/sha256.h"

namespace holdfast::agent {

using platform::eds::EdsCollection;
using platform::eds::EdsKind;

storage::ItemKind ItemKindOfEds(EdsKind kind) {
  switch (kind) {
    case EdsKind::kAddressBook: return storage::ItemKind::kContact;
    case EdsKind::kCalendar: return storage::ItemKind::kEvent;
    case EdsKind::kTaskList: return storage::ItemKind::kTask;
    case EdsKind::kMemoList: return storage::ItemKind::kNote;
  }
  return storage::ItemKind::kContact;
}

EdsKind EdsKindOfItems(storage::ItemKind kind) {
  switch (kind) {
    case storage::ItemKind::kEvent: return EdsKind::kCalendar;
    case storage::ItemKind::kTask: return EdsKind::kTaskList;
    case storage::ItemKind::kNote: return EdsKind::kMemoList;
    default: return EdsKind::kAddressBook;
  }
}

std::string EdsCachePath(const EdsCollection& collection) {
  return std::string(platform::eds::EdsKindName(collection.kind)) + "/" + collection.uid;
}

Result<std::vector<EdsCollection>> ChooseEdsCollections(platform::eds::EdsStore& store, const SourceConfig& source) {
  Result<std::vector<EdsCollection>> all = store.ListCollections();
  if (!all) return all.error();
  std::vector<EdsCollection> chosen;
  for (const EdsCollection& c : *all) {
    const bool picked = std::any_of(source.eds_collections.begin(), source.eds_collections.end(), [&](const EdsPick& p) {
      return p.uid == c.uid && EdsKindOfItems(ItemKindOf(p.kind)) == c.kind;
    });
    if (source.eds_collections.empty() ? c.backend == "local" : picked) chosen.push_back(c);
  }
  return chosen;
}

int64_t EdsRevisionStamp(const EdsCollection& collection, const std::string& revision) {
  platform::Sha256 hasher;
  hasher.Update(EdsCachePath(collection));
  hasher.Update("\0", 1);
  hasher.Update(revision);
  const platform::Digest digest = hasher.Finish();
  uint64_t stamp = 0;
  for (int i = 0; i < 8; ++i) stamp = (stamp << 8) | digest[i];
  return static_cast<int64_t>(stamp >> 1);
}

bool EdsRevisionSettled(const std::string& revision, int64_t now_s) {
  struct tm parts {};
  const char* end = strptime(revision.c_str(), "%Y-%m-%dT%H:%M:%S", &parts);
  if (end == nullptr) return false;
  const int64_t revision_s = static_cast<int64_t>(timegm(&parts));
  return now_s - revision_s >= 2;
}

Result<PrefetchedFile> ReadEdsCollection(platform::eds::EdsStore& store, const EdsCollection& collection,
                                         std::vector<std::string>* problems) {
  const std::string path = EdsCachePath(collection);
  PrefetchedFile file;
  std::vector<platform::PimItem> items;
  platform::Sha256 whole;
  Status parse_error = Status::Ok();
  Status read = store.ReadItems(
      collection,
      [&](std::string_view text) {
        Result<std::vector<platform::PimItem>> parsed = collection.kind == EdsKind::kAddressBook
                                                            ? platform::ReadVcardFile(text, path)
                                                            : platform::ReadIcalendarFile(text, path);
        if (!parsed) {
          // Nothing of the collection is stored rather than some of it:
          // items left out would count as deleted.
          parse_error = Status(ErrorCode::kMalformedInput, "an item EDS gives cannot be read (" +
                                                               parsed.error().message() + "); nothing of " + path +
                                                               " was stored this time");
          return parse_error;
        }
        for (platform::PimItem& item : *parsed) {
          file.size_bytes += item.raw.size();
          file.item_sha256.push_back(platform::Sha256Of(item.raw));
          whole.Update(file.item_sha256.back().data(), file.item_sha256.back().size());
          items.push_back(std::move(item));
        }
        return Status::Ok();
      },
      problems);
  if (!parse_error.ok()) {
    file.read_error = parse_error;
    return file;
  }
  if (!read.ok()) return read;
  file.sha256 = whole.Finish();
  file.items = std::move(items);
  return file;
}

}  // namespace holdfast::agent
