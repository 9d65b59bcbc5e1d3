// SQL and column readers that the vault's .cc files share, so that each rule
// is written once. Private to storage/.
#pragma once

#include <cstring>
#include <string_view>

#include "platform/sha256.h"

// Whether the item aliased `i` has an open tombstone: deleted on the device
// and not restored since. HF_SQL_ITEM_LIVE is the opposite. Macros, not
// constants, so that they join string literals at compile time: Db::Cached
// keys its cache on the literal.
#define HF_SQL_ITEM_TOMBSTONED \
  "EXISTS(SELECT 1 FROM tombstones t WHERE t.item_id = i.id AND t.restored_at_ms IS NULL)"
#define HF_SQL_ITEM_LIVE "NOT " HF_SQL_ITEM_TOMBSTONED

namespace holdfast::storage {

// A SHA-256 stored as a 32-byte BLOB column value; all zeros when the value
// has another size (a damaged row: no stored content hashes to zeros, so
// Verify and every comparison see the mismatch).
inline platform::Digest DigestFromBytes(std::string_view bytes) {
  platform::Digest digest{};
  if (bytes.size() == digest.size()) std::memcpy(digest.data(), bytes.data(), digest.size());
  return digest;
}

}  // namespace holdfast::storage
