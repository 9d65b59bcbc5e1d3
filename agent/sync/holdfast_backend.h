// The Holdfast protocol (docs/protocol.md) as a RemoteBackend: the only code
// that builds its paths ("/state", "/collections/ID/batch", "/blobs/SHA",
// ".../inventory", ".../items/UID") and its request bodies. Answers are read
// by agent/sync/replies.h; requests go through one RemoteClient (retries,
// backoff, the token), so one command makes one connection pool.
//
// What the protocol makes of the contract in remote_backend.h:
//   - identity: GET /state (epoch, collections with items and digest, an
//     operator's re-upload request);
//   - collections: PUT /collections/ID (idempotent); a 404 on a batch or an
//     inventory is "collection gone";
//   - blobs: content over 1 MiB, and everything the vault keeps as a blob,
//     goes to PUT /blobs/SHA in 4 MiB chunks, resumed from the offset a 409
//     names;
//   - items: POST /collections/ID/batch, at most 500 entries and 4 MiB
//     inline; items are named by their uid's wire form (platform/wire_text.h).
// Not thread-safe; callbacks run inside Run().
#pragma once

#include <memory>
#include <string>

#include "agent/config.h"
#include "agent/sync/remote_backend.h"
#include "agent/sync/remote_client.h"

namespace holdfast::agent {

// The collection id a collection has on every Holdfast server: the first 32
// hex digits of SHA-256(source, NUL, name).
std::string RemoteCollectionId(const storage::CollectionInfo& collection);

class HoldfastBackend final : public RemoteBackend {
 public:
  // Connects (RemoteClient::Connect: the token, TLS, plain http only to
  // loopback). Errors: those of RemoteClient::Connect. No request is sent.
  static Result<std::unique_ptr<HoldfastBackend>> Connect(const RemoteConfig& remote, const RemoteOptions& options);

  const std::string& name() const override { return client_->remote().name; }
  int max_in_flight() const override;
  int64_t retries() const override { return client_->retries(); }
  std::optional<int64_t> RetryAfterMs() const override { return client_->retry_after_ms(); }

  Result<RemoteState> ReadState() override;
  std::string CollectionId(const storage::CollectionInfo& collection) const override;
  std::optional<CollectionSummary> SummaryOf(const std::vector<storage::LedgerEntry>& acknowledged) const override;
  void EnsureCollection(const storage::CollectionInfo& collection, std::function<void(Status)> done) override;

  bool NeedsBlob(uint64_t size_bytes, bool in_blob) const override;
  Result<bool> BlobHeld(const platform::Digest& sha256, uint64_t size_bytes) override;
  void UploadBlob(const platform::Digest& sha256, uint64_t size_bytes, ContentReader read,
                  std::function<void(int64_t bytes)> sent, std::function<void(Status)> done) override;

  size_t max_batch_entries() const override;
  size_t max_batch_inline_bytes() const override;
  void WriteBatch(const std::string& collection_id, std::vector<ItemWrite> puts, std::vector<std::string> deletes,
                  std::function<void(Result<BatchOutcome>&&)> done) override;
  Status RemoveItem(const std::string& collection_id, const std::string& item_name) override;

  std::string ItemName(std::string_view uid) const override;
  Result<Inventory> ListInventory(const std::string& collection_id) override;
  Result<bool> ForEachInventoryPage(const std::string& collection_id,
                                    const std::function<Status(std::map<std::string, std::string>&&)>& visit) override;
  Result<std::optional<std::string>> ReadItem(const std::string& collection_id, const std::string& item_name) override;

  Status Run() override { return client_->Run(); }

 private:
  struct BlobUpload;
  explicit HoldfastBackend(std::unique_ptr<RemoteClient> client) : client_(std::move(client)) {}
  void SendChunk(std::shared_ptr<BlobUpload> upload, uint64_t offset);

  std::unique_ptr<RemoteClient> client_;
};

}  // namespace holdfast::agent
