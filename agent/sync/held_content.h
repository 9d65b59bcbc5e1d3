// Which content of an item the server holds, measured against the vault's
// contents of it: the current one, the one the ledger says was acknowledged,
// an earlier one this device had (an older copy of the server's store put
// back), or none of them (another client's change). Detection (check.h)
// and the push's answer to a DAV 412 (ItemWrite::earlier) both decide by it.
// Compares as the backend defines "the same item" (SameContent). Reads the
// vault only; not thread-safe (the vault's thread).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/sync/remote_backend.h"
#include "platform/sha256.h"
#include "platform/status.h"
#include "storage/vault.h"

namespace holdfast::agent {

enum class HeldContent {
  kCurrent,       // the vault's current content of a live item
  kAcknowledged,  // the content the ledger recorded as acknowledged (the server rewrote it, or its ETag only)
  kEarlier,       // another revision the vault holds of the item
  kOther,         // none of the vault's contents of the item
};

// `server_collection` is the collection's id on the server (for
// SameContent); `acknowledged` the digest the ledger recorded, or nullptr.
// Revisions are compared newest first, each distinct content once; one too
// large to read into memory (over `max_bytes`) counts as not matching.
// Errors: vault errors.
Result<HeldContent> ClassifyHeld(storage::Vault& vault, const RemoteBackend& backend,
                                 const std::string& server_collection, int64_t collection_id, std::string_view uid,
                                 const platform::Digest* acknowledged, std::string_view held,
                                 uint64_t max_bytes = uint64_t{64} << 20);

}  // namespace holdfast::agent
