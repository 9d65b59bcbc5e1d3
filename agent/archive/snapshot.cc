#include "agent/archive/snapshot.h"

#include <algorithm>
#include <map>
#include <functional>
#include <set>
#include <string_view>

#include "platform/files.h"
#include "platform/sha256.h"

namespace holdfast::agent {
namespace {

using storage::CollectionInfo;
using storage::ItemKind;
using storage::ItemRecord;
using storage::RevisionInfo;

// The file name of an item that has no file of its own (it shared one with
// others): its uid made a distinct safe name, the extension last (capture
// reads back only files that end in it).
std::string ItemFileName(const std::string& uid, const std::string& ext) {
  const std::string stem = DistinctFileName(uid);
  return ext.empty() ? stem : stem + "." + ext;
}

// Where the item shared a file, the folder that file was in (so that the
// item comes back into its collection), else one named after the collection.
std::string FolderFor(const CollectionInfo& collection, const std::string& source_path) {
  if (platform::IsPlainRelativePath(source_path)) {
    const size_t slash = source_path.rfind('/');
    return slash == std::string::npos ? "" : source_path.substr(0, slash + 1);
  }
  return SafeFileName(collection.name) + "/";
}

uint64_t PathHash(std::string_view path) { return std::hash<std::string_view>{}(path); }

}  // namespace

std::string DescribeItem(const CollectionInfo& c, const SnapshotItem& s) {
  return "collection '" + c.name + "' item '" + s.item.uid + "'";
}

Status StreamSnapshotItem(storage::Vault& vault, const CollectionInfo& c, const SnapshotItem& s,
                          const storage::ByteSink& sink) {
  platform::Sha256 hasher;
  uint64_t size = 0;
  HF_RETURN_IF_ERROR(vault.ReadRevision(s.revision.id, [&](std::string_view bytes) {
    hasher.Update(bytes);
    size += bytes.size();
    return sink(bytes);
  }));
  if (hasher.Finish() != s.revision.sha256 || size != s.revision.size_bytes) {
    return Status(ErrorCode::kDamageFound, DescribeItem(c, s) +
                                               ": its bytes in the vault no longer match their SHA-256; "
                                               "nothing was written (run `holdfast verify`)");
  }
  return Status::Ok();
}

const char* FileExtensionFor(ItemKind kind) {
  switch (kind) {
    case ItemKind::kContact: return "vcf";
    case ItemKind::kEvent:
    case ItemKind::kTask:
    case ItemKind::kNote: return "ics";
    case ItemKind::kPhoto: return "";
  }
  return "";
}

std::optional<ItemKind> ParseKindWord(std::string_view word) {
  if (word == "contact" || word == "contacts") return ItemKind::kContact;
  if (word == "event" || word == "events" || word == "calendar") return ItemKind::kEvent;
  if (word == "task" || word == "tasks") return ItemKind::kTask;
  if (word == "note" || word == "notes") return ItemKind::kNote;
  if (word == "photo" || word == "photos") return ItemKind::kPhoto;
  return std::nullopt;
}

std::string SafeFileName(std::string_view name) {
  std::string safe;
  safe.reserve(name.size());
  for (unsigned char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == '@';
    safe.push_back(ok ? static_cast<char>(c) : '_');
  }
  if (safe.empty() || safe.front() == '.' || safe.size() > 100) {
    const std::string hash = platform::ToHex(platform::Sha256Of(name)).substr(0, 32);
    std::string prefix = safe.substr(0, std::min<size_t>(safe.size(), 40));
    while (!prefix.empty() && prefix.front() == '.') prefix.erase(0, 1);
    return prefix.empty() ? hash : prefix + "-" + hash;
  }
  return safe;
}

std::string DistinctFileName(std::string_view name) {
  const std::string safe = SafeFileName(name);
  if (safe == name) return safe;
  std::string prefix = safe.substr(0, std::min<size_t>(safe.size(), 40));
  while (!prefix.empty() && prefix.front() == '.') prefix.erase(0, 1);
  return prefix + "~" + platform::ToHex(platform::Sha256Of(name)).substr(0, 16);
}

Result<SnapshotItems> SnapshotItems::Open(storage::Vault& vault, const CollectionInfo& collection,
                                          const SnapshotFilter& filter) {
  SnapshotItems items(vault, collection, filter);
  // Paths that several items share: found by hash (8 bytes an item), then
  // counted exactly for the hashes seen more than once.
  std::vector<uint64_t> hashes;
  bool any_not_plain = false;
  HF_RETURN_IF_ERROR(items.VisitChosen([&](SnapshotItem&& s) {
    if (platform::IsPlainRelativePath(s.item.source_path)) {
      hashes.push_back(PathHash(s.item.source_path));
    } else {
      any_not_plain = true;
    }
    return Status::Ok();
  }));
  std::sort(hashes.begin(), hashes.end());
  std::vector<uint64_t> repeated;
  for (size_t i = 1; i < hashes.size(); ++i) {
    if (hashes[i] == hashes[i - 1] && (repeated.empty() || repeated.back() != hashes[i])) {
      repeated.push_back(hashes[i]);
    }
  }
  if (!repeated.empty()) {
    std::map<std::string, int> uses;
    HF_RETURN_IF_ERROR(items.VisitChosen([&](SnapshotItem&& s) {
      const std::string& own = s.item.source_path;
      if (platform::IsPlainRelativePath(own) && std::binary_search(repeated.begin(), repeated.end(), PathHash(own))) {
        ++uses[own];
      }
      return Status::Ok();
    }));
    for (const auto& [path, n] : uses) {
      if (n > 1) items.shared_paths_.insert(path);
    }
  }
  // Only names made from uids are checked against the items' own paths.
  if (any_not_plain || (!items.shared_paths_.empty() && !filter.keep_shared_files)) {
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
    hashes.shrink_to_fit();
    items.own_path_hashes_ = std::move(hashes);
  }
  return items;
}

Status SnapshotItems::VisitChosen(const std::function<Status(SnapshotItem&&)>& visit) {
  return vault_->ForEachItem(collection_.id, [&](const ItemRecord& item) -> Status {
    RevisionInfo revision;
    if (filter_.as_of_ms) {
      Result<std::optional<RevisionInfo>> then = vault_->RevisionAsOf(collection_.id, item.uid, *filter_.as_of_ms);
      if (!then) return then.error();
      if (!then->has_value()) return Status::Ok();
      revision = **then;
    } else {
      if (item.deleted) return Status::Ok();
      revision.id = item.head_revision_id;
      revision.captured_at_ms = item.last_seen_ms;
      revision.sha256 = item.sha256;
      revision.size_bytes = item.size_bytes;
      revision.in_blob = collection_.kind == ItemKind::kPhoto;
    }
    return visit(SnapshotItem{item, revision, {}});
  });
}

Result<bool> SnapshotItems::KeptByItsOwner(const std::string& path) {
  if (!std::binary_search(own_path_hashes_.begin(), own_path_hashes_.end(), PathHash(path))) return false;
  if (shared_paths_.count(path) != 0) return filter_.keep_shared_files;
  // A hash alike: rare (a uid that is a file's own name, or two paths with
  // one 64-bit hash), so the exact answer may take a walk.
  if (!platform::IsPlainRelativePath(path)) return false;
  bool found = false;
  HF_RETURN_IF_ERROR(VisitChosen([&](SnapshotItem&& s) {
    found = found || s.item.source_path == path;
    return Status::Ok();
  }));
  return found;
}

// Each item keeps its own source path where no other item of the collection
// shares it (or, with keep_shared_files, even then); the others get a name
// made from the uid (ItemFileName). Names stay distinct; a clash left (two
// 64-bit hashes alike, or a uid that is a file's own name) gets a number
// before the extension.
Status SnapshotItems::Visit(const std::function<Status(const SnapshotItem&)>& visit) {
  uid_names_.clear();
  const std::string ext = FileExtensionFor(collection_.kind);
  return VisitChosen([&](SnapshotItem&& s) -> Status {
    const std::string& own = s.item.source_path;
    const bool plain = platform::IsPlainRelativePath(own);
    const bool shared = plain && shared_paths_.count(own) != 0;
    if (plain && (!shared || filter_.keep_shared_files)) {
      s.path = own;
      s.shares_file = shared;
      return visit(s);
    }
    const std::string folder = FolderFor(collection_, own);
    s.path = folder + ItemFileName(s.item.uid, ext);
    for (int n = 2;; ++n) {
      Result<bool> kept = KeptByItsOwner(s.path);
      if (!kept) return kept.error();
      if (!*kept && uid_names_.insert(s.path).second) break;
      s.path = folder + ItemFileName(s.item.uid + "\n" + std::to_string(n), ext);
    }
    return visit(s);
  });
}

Status ForEachSnapshotCollection(
    storage::Vault& vault, const SnapshotFilter& filter,
    const std::function<Status(const CollectionInfo&, SnapshotItems&)>& visit) {
  Result<std::vector<CollectionInfo>> collections = vault.ListCollections();
  if (!collections) return collections.error();
  for (const CollectionInfo& collection : *collections) {
    if (filter.collection && collection.name != *filter.collection) continue;
    if (filter.kind && collection.kind != *filter.kind) continue;
    if (filter.source && collection.source != *filter.source) continue;
    if (filter.as_of_ms && collection.created_at_ms > *filter.as_of_ms) continue;
    Result<SnapshotItems> items = SnapshotItems::Open(vault, collection, filter);
    if (!items) return items.error();
    HF_RETURN_IF_ERROR(visit(collection, *items));
  }
  return Status::Ok();
}

Status ForEachSnapshotCollection(
    storage::Vault& vault, const SnapshotFilter& filter,
    const std::function<Status(const CollectionInfo&, std::vector<SnapshotItem>&&)>& visit) {
  return ForEachSnapshotCollection(vault, filter, [&](const CollectionInfo& c, SnapshotItems& items) {
    std::vector<SnapshotItem> all;
    HF_RETURN_IF_ERROR(items.Visit([&](const SnapshotItem& s) {
      all.push_back(s);
      return Status::Ok();
    }));
    return visit(c, std::move(all));
  });
}

}  // namespace holdfast::agent
