#include "agent/sync/held_content.h"

#include <set>
#include <vector>

namespace holdfast::agent {

Result<HeldContent> ClassifyHeld(storage::Vault& vault, const RemoteBackend& backend,
                                 const std::string& server_collection, int64_t collection_id, std::string_view uid,
                                 const platform::Digest* acknowledged, std::string_view held, uint64_t max_bytes) {
  Result<std::optional<storage::ItemRecord>> item = vault.FindItem(collection_id, uid);
  if (!item) return item.error();
  if (!item->has_value()) return HeldContent::kOther;
  Result<std::vector<storage::RevisionInfo>> revisions = vault.ListRevisions(collection_id, uid);
  if (!revisions) return revisions.error();
  // Whether one revision's content is what the server holds.
  auto matches = [&](const storage::RevisionInfo& r) -> Result<bool> {
    if (r.size_bytes > max_bytes) return false;
    Result<std::string> bytes = vault.ReadRevisionBytes(r.id, max_bytes);
    if (!bytes) return bytes.error();
    return backend.SameContent(server_collection, *bytes, held);
  };
  std::set<platform::Digest> compared;
  // The current content first: a killed push's arrival is the common case.
  if (!(*item)->deleted) {
    for (const storage::RevisionInfo& r : *revisions) {
      if (r.id != (*item)->head_revision_id) continue;
      Result<bool> same = matches(r);
      if (!same) return same.error();
      if (*same) return HeldContent::kCurrent;
      compared.insert(r.sha256);
    }
  }
  if (acknowledged != nullptr && compared.count(*acknowledged) == 0) {
    for (auto r = revisions->rbegin(); r != revisions->rend(); ++r) {
      if (r->sha256 != *acknowledged) continue;
      Result<bool> same = matches(*r);
      if (!same) return same.error();
      if (*same) return HeldContent::kAcknowledged;
      compared.insert(r->sha256);
      break;
    }
  }
  for (auto r = revisions->rbegin(); r != revisions->rend(); ++r) {
    if (!compared.insert(r->sha256).second) continue;
    Result<bool> same = matches(*r);
    if (!same) return same.error();
    if (*same) return HeldContent::kEarlier;
  }
  return HeldContent::kOther;
}

}  // namespace holdfast::agent
