// The vault's blob store: large content (photos, and the inline content a
// resumed upload sends as a blob) kept in chunks of kChunkSizeBytes and
// addressed by SHA-256, so equal content is stored once however many
// revisions refer to it.
//
// Ownership: a Vault owns its BlobStore (Vault::blobs()), which writes
// through the vault's one connection and lives as long as the vault. Not
// thread-safe: use it from the vault's thread.
//
// Durability: the vault's (storage/vault.h). A write that returns OK outside
// a WriteBatch is durable when it returns; inside a batch it becomes durable
// when the batch commits. Only complete blobs are ever visible: one cut short
// by a crash is removed the next time the vault opens.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

#include "platform/sha256.h"
#include "platform/status.h"

namespace holdfast::storage {

class Vault;
class VaultConnection;

// A completed blob: content-addressed by SHA-256.
struct BlobRef {
  platform::Digest sha256{};
  uint64_t size_bytes = 0;
  bool operator==(const BlobRef&) const = default;
};

// Reads the next bytes of a stream into `buffer`; returns how many, 0 at the end.
using ByteSource = std::function<Result<size_t>(char* buffer, size_t capacity)>;
// Receives content piece by piece, in order.
using ByteSink = std::function<Status(std::string_view bytes)>;

class BlobStore {
 public:
  // Size of one chunk of blob content.
  static constexpr size_t kChunkSizeBytes = 256 * 1024;

  BlobStore(const BlobStore&) = delete;
  BlobStore& operator=(const BlobStore&) = delete;

  // Streams content from `source` into the blob store in chunks of
  // kChunkSizeBytes, hashing as it goes; memory use is one chunk whatever the
  // size. Content already stored is deduplicated. Outside a WriteBatch it
  // commits every 16 MiB and is durable on return; a blob interrupted by a
  // crash is removed the next time the vault opens. Inside a batch it writes
  // into the batch's transaction and is durable when the batch commits, so
  // callers should bound the bytes they put in one batch.
  Result<BlobRef> PutBlob(const ByteSource& source);
  // Streams a file; *file_failed (if given) tells whether an error came from
  // opening or reading `file` rather than from the vault.
  Result<BlobRef> PutBlobFromFile(const std::filesystem::path& file, bool* file_failed = nullptr);
  // Stores content already in memory whose SHA-256 the caller computed (on
  // another thread, say); content the vault holds is not written again.
  // In a batch it commits with the batch, else it is durable on return.
  Result<BlobRef> PutBlobBytes(std::string_view content, const platform::Digest& sha256);
  Result<bool> HasBlob(const platform::Digest& sha256);
  // Streams a blob to `sink`. kNotFound if absent, kCorruptVault if chunks are missing.
  Status ReadBlob(const platform::Digest& sha256, const ByteSink& sink);
  // Streams up to max_bytes of a blob from byte `offset` on (a resumed
  // upload). Errors as ReadBlob; kInvalidArgument for an offset past the end.
  Status ReadBlobRange(const platform::Digest& sha256, uint64_t offset, uint64_t max_bytes, const ByteSink& sink);

 private:
  friend class Vault;
  explicit BlobStore(VaultConnection& conn) : conn_(conn) {}
  // The row id of a complete blob; kNotFound if absent.
  Result<int64_t> BlobId(const platform::Digest& sha256);
  // Deletes blobs whose writer died mid-stream (called by Vault::Open).
  Status RemoveIncompleteBlobs();

  VaultConnection& conn_;
};

}  // namespace holdfast::storage
