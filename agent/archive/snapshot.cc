#include "agent/archive/snapshot.h"

#include <algorithm>
#include <map>
#include <set>

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

// Gives each item its file name: its own source path where no other item
// of the collection shares it, else one made from the uid (ItemFileName).
// Names stay distinct; a clash left (two 64-bit hashes alike, or a uid that
// is a file's own name) gets a number before the extension.
void AssignPaths(const CollectionInfo& collection, bool keep_shared_files, std::vector<SnapshotItem>* items) {
  std::map<std::string, int> uses;
  for (const SnapshotItem& s : *items) ++uses[s.item.source_path];
  const std::string ext = FileExtensionFor(collection.kind);
  std::set<std::string> taken;
  std::vector<SnapshotItem*> named_from_uid;
  for (SnapshotItem& s : *items) {
    const std::string& own = s.item.source_path;
    const bool plain = platform::IsPlainRelativePath(own);
    if (plain && (uses[own] == 1 || keep_shared_files)) {
      s.path = own;
      s.shares_file = uses[own] > 1;
      taken.insert(own);
    } else {
      named_from_uid.push_back(&s);
    }
  }
  for (SnapshotItem* s : named_from_uid) {
    const std::string folder = FolderFor(collection, s->item.source_path);
    s->path = folder + ItemFileName(s->item.uid, ext);
    for (int n = 2; !taken.insert(s->path).second; ++n) {
      s->path = folder + ItemFileName(s->item.uid + "\n" + std::to_string(n), ext);
    }
  }
}

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

Status ForEachSnapshotCollection(
    storage::Vault& vault, const SnapshotFilter& filter,
    const std::function<Status(const CollectionInfo&, std::vector<SnapshotItem>&&)>& visit) {
  Result<std::vector<CollectionInfo>> collections = vault.ListCollections();
  if (!collections) return collections.error();
  for (const CollectionInfo& collection : *collections) {
    if (filter.collection && collection.name != *filter.collection) continue;
    if (filter.kind && collection.kind != *filter.kind) continue;
    if (filter.source && collection.source != *filter.source) continue;
    if (filter.as_of_ms && collection.created_at_ms > *filter.as_of_ms) continue;
    Result<std::vector<ItemRecord>> items = vault.ListItems(collection.id);
    if (!items) return items.error();
    std::vector<SnapshotItem> chosen;
    chosen.reserve(items->size());
    for (ItemRecord& item : *items) {
      RevisionInfo revision;
      if (filter.as_of_ms) {
        Result<std::optional<RevisionInfo>> then = vault.RevisionAsOf(collection.id, item.uid, *filter.as_of_ms);
        if (!then) return then.error();
        if (!then->has_value()) continue;
        revision = **then;
      } else {
        if (item.deleted) continue;
        revision.id = item.head_revision_id;
        revision.captured_at_ms = item.last_seen_ms;
        revision.sha256 = item.sha256;
        revision.size_bytes = item.size_bytes;
        revision.in_blob = collection.kind == ItemKind::kPhoto;
      }
      chosen.push_back(SnapshotItem{std::move(item), revision, {}});
    }
    AssignPaths(collection, filter.keep_shared_files, &chosen);
    HF_RETURN_IF_ERROR(visit(collection, std::move(chosen)));
  }
  return Status::Ok();
}

}  // namespace holdfast::agent
