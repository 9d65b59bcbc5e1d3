#include "agent/sync/holdfast_backend.h"

#include <algorithm>

#include "agent/sync/replies.h"
#include "platform/base64.h"
#include "platform/wire_text.h"

namespace holdfast::agent {
namespace {

using nlohmann::json;

constexpr size_t kMaxBatchEntries = 500;
constexpr size_t kMaxBatchInlineBytes = size_t{4} << 20;
constexpr uint64_t kBlobChunkBytes = uint64_t{4} << 20;
constexpr uint64_t kMaxInlineItemBytes = uint64_t{1} << 20;  // larger content goes as a blob
// More items than any handset holds: a listing that goes on past this is a
// server generating pages, not an inventory (docs/protocol.md).
constexpr size_t kMaxInventoryItems = 1'000'000;
// A server that answers 409 with an offset no further than it held before,
// this many times in a row, is not following the protocol.
constexpr int kMaxSetbacks = 3;

std::string CollectionPath(const std::string& collection_id) { return "/collections/" + collection_id; }

std::string Dump(const json& body) { return body.dump(-1, ' ', false, json::error_handler_t::strict); }

}  // namespace

std::string RemoteCollectionId(const storage::CollectionInfo& collection) {
  platform::Sha256 hasher;
  hasher.Update(collection.source);
  hasher.Update(std::string_view("\0", 1));
  hasher.Update(collection.name);
  return platform::ToHex(hasher.Finish()).substr(0, 32);
}

Result<std::unique_ptr<HoldfastBackend>> HoldfastBackend::Connect(const RemoteConfig& remote,
                                                                  const RemoteOptions& options) {
  Result<std::unique_ptr<RemoteClient>> client = RemoteClient::Connect(remote, options);
  if (!client) return client.error();
  return std::unique_ptr<HoldfastBackend>(new HoldfastBackend(std::move(*client)));
}

int HoldfastBackend::max_in_flight() const { return std::max(client_->options().http.max_in_flight, 1); }

Result<RemoteState> HoldfastBackend::ReadState() {
  const std::string what = "GET /state";
  Result<platform::HttpResponse> reply = client_->CallNow("GET", "/state");
  if (!reply) return reply.error();
  if (reply->status != 200) return ProblemStatus(*reply, what);
  Result<json> body = ParseJsonReply(*reply, what);
  if (!body) return body.error();
  Result<StateReply> parsed = ParseStateReply(*body, what);
  if (!parsed) return parsed.error();
  RemoteState state;
  state.source = what;
  state.epoch = std::move(parsed->epoch);
  state.unreadable_collections = parsed->malformed_collections;
  for (StateReply::Collection& c : parsed->collections) {
    RemoteState::Collection collection{std::move(c.id), std::nullopt};
    if (c.has_counts) collection.summary = CollectionSummary{c.items, std::move(c.digest)};
    state.collections.push_back(std::move(collection));
  }
  if (parsed->reupload) {
    state.reupload = ReuploadRequestInfo{parsed->reupload->id, parsed->reupload->not_before_ms,
                                         parsed->reupload->spread_ms};
  }
  return state;
}

std::string HoldfastBackend::CollectionId(const storage::CollectionInfo& collection) const {
  return RemoteCollectionId(collection);
}

// The digest of docs/protocol.md: over the uids as the server holds them
// (their wire form), in the byte order of that form.
std::optional<CollectionSummary> HoldfastBackend::SummaryOf(const std::vector<storage::LedgerEntry>& entries) const {
  std::vector<std::pair<std::string, std::string>> sorted;
  sorted.reserve(entries.size());
  for (const storage::LedgerEntry& e : entries) sorted.emplace_back(ItemName(e.uid), platform::ToHex(e.sha256));
  std::sort(sorted.begin(), sorted.end());
  platform::Sha256 hasher;
  for (const auto& [uid, sha] : sorted) {
    hasher.Update(uid);
    hasher.Update(std::string_view("\0", 1));
    hasher.Update(sha);
    hasher.Update("\n");
  }
  return CollectionSummary{static_cast<int64_t>(entries.size()), platform::ToHex(hasher.Finish())};
}

void HoldfastBackend::EnsureCollection(const storage::CollectionInfo& collection, std::function<void(Status)> done) {
  const std::string path = CollectionPath(RemoteCollectionId(collection));
  json body = {{"kind", storage::ItemKindName(collection.kind)}, {"name", platform::ToWireText(collection.name)}};
  client_->Call("PUT", path, Dump(body), "application/json",
                [path, done = std::move(done)](Result<platform::HttpResponse>&& reply) {
                  if (!reply) return done(reply.error());
                  if (reply->status != 200) return done(ProblemStatus(*reply, "PUT " + path));
                  done(Status::Ok());
                });
}

// ---- Blobs.

bool HoldfastBackend::NeedsBlob(uint64_t size_bytes, bool in_blob) const {
  // Content over the protocol's inline limit goes as a blob, whether the
  // vault keeps it inline (a contact with a photo) or in the blob store.
  return in_blob || size_bytes > kMaxInlineItemBytes;
}

Result<bool> HoldfastBackend::BlobHeld(const platform::Digest& sha256, uint64_t size_bytes) {
  const std::string path = "/blobs/" + platform::ToHex(sha256);
  Result<platform::HttpResponse> reply = client_->CallNow("GET", path);
  if (!reply) return reply.error();
  if (reply->status == 404) return false;
  if (reply->status != 200) return ProblemStatus(*reply, "GET " + path);
  Result<json> body = ParseJsonReply(*reply, "GET " + path);
  if (!body) return body.error();
  Result<BlobChunkReply> state = ParseBlobChunkReply(*body, "GET " + path);
  if (!state) return state.error();
  return state->complete && state->received.value_or(size_bytes) == size_bytes;
}

// One blob being uploaded.
struct HoldfastBackend::BlobUpload {
  platform::Digest sha256{};
  uint64_t size_bytes = 0;
  ContentReader read;
  std::function<void(int64_t)> sent;
  std::function<void(Status)> done;
  uint64_t high_water = 0;  // the most the server ever said it holds
  int setbacks = 0;         // 409s since high_water last grew

  // Whether the server now holds more than it ever did; resets the setbacks if so.
  bool Advanced(uint64_t held) {
    if (held <= high_water) return false;
    high_water = held;
    setbacks = 0;
    return true;
  }
};

void HoldfastBackend::UploadBlob(const platform::Digest& sha256, uint64_t size_bytes, ContentReader read,
                                 std::function<void(int64_t bytes)> sent, std::function<void(Status)> done) {
  // The first chunk goes without asking first: a server that holds part of
  // the blob answers 409 with its offset (and one that holds all of it, 200
  // complete), so a resumed upload costs one chunk, a new one no round trip.
  auto upload = std::make_shared<BlobUpload>();
  upload->sha256 = sha256;
  upload->size_bytes = size_bytes;
  upload->read = std::move(read);
  upload->sent = std::move(sent);
  upload->done = std::move(done);
  SendChunk(std::move(upload), 0);
}

void HoldfastBackend::SendChunk(std::shared_ptr<BlobUpload> upload, uint64_t offset) {
  const uint64_t size = upload->size_bytes;
  std::string chunk;
  chunk.reserve(std::min(kBlobChunkBytes, size - std::min(size, offset)));
  Status read = upload->read(offset, kBlobChunkBytes, &chunk);
  if (!read.ok()) return upload->done(read);
  const std::string path = "/blobs/" + platform::ToHex(upload->sha256) + "?offset=" + std::to_string(offset) +
                           "&size=" + std::to_string(size);
  const uint64_t length = chunk.size();
  client_->Call(
      "PUT", path, std::move(chunk), "application/octet-stream",
      [this, upload, offset, length, path](Result<platform::HttpResponse>&& reply) {
        if (!reply) return upload->done(reply.error());
        if (reply->status == 409) {
          // The server holds a different amount: go on from there.
          Result<json> body = ParseJsonReply(*reply, "PUT " + path);
          if (!body) return upload->done(body.error());
          Result<uint64_t> held = ParseBlobConflictReply(*body, upload->size_bytes, "PUT " + path);
          if (!held) return upload->done(held.error());
          if (!upload->Advanced(*held) && ++upload->setbacks >= kMaxSetbacks) {
            return upload->done(Status(ErrorCode::kServerError,
                                       "PUT " + path + ": " + std::to_string(upload->setbacks) +
                                           " conflicting offsets in a row, none past byte " +
                                           std::to_string(upload->high_water) + ": the upload makes no progress"));
          }
          return SendChunk(upload, *held);
        }
        if (reply->status != 200) return upload->done(ProblemStatus(*reply, "PUT " + path));
        Result<json> body = ParseJsonReply(*reply, "PUT " + path);
        if (!body) return upload->done(body.error());
        Result<BlobChunkReply> state = ParseBlobChunkReply(*body, "PUT " + path);
        if (!state) return upload->done(state.error());
        upload->sent(static_cast<int64_t>(length));
        if (state->complete) return upload->done(Status::Ok());
        Result<uint64_t> next = NextBlobOffset(*state, offset, length, upload->size_bytes, "PUT " + path);
        if (!next) return upload->done(next.error());
        upload->Advanced(*next);
        SendChunk(upload, *next);
      });
}

// ---- Items.

size_t HoldfastBackend::max_batch_entries() const { return kMaxBatchEntries; }
size_t HoldfastBackend::max_batch_inline_bytes() const { return kMaxBatchInlineBytes; }

void HoldfastBackend::WriteBatch(const std::string& collection_id, std::vector<ItemWrite> puts,
                                 std::vector<std::string> deletes,
                                 std::function<void(Result<BatchOutcome>&&)> done) {
  json put_entries = json::array();
  json delete_entries = json::array();
  for (const std::string& uid : deletes) delete_entries.push_back(ItemName(uid));
  for (const ItemWrite& put : puts) {
    json entry = {{"uid", ItemName(put.uid)}, {"sha256", platform::ToHex(put.sha256)}};
    if (put.as_blob) {
      entry["blob"] = true;
    } else {
      entry["content_base64"] = platform::Base64Encode(put.content);
    }
    put_entries.push_back(std::move(entry));
  }
  json body = {{"put", put_entries}, {"delete", delete_entries}};
  const std::string path = CollectionPath(collection_id) + "/batch";
  const size_t put_count = puts.size(), delete_count = deletes.size();
  client_->Call(
      "POST", path, Dump(body), "application/json",
      [path, put_count, delete_count, done = std::move(done)](Result<platform::HttpResponse>&& reply) {
        if (!reply) return done(reply.error());
        BatchOutcome outcome;
        if (reply->status == 404) {
          outcome.collection_gone = true;
          return done(std::move(outcome));
        }
        if (reply->status != 200) return done(ProblemStatus(*reply, "POST " + path));
        Result<json> body = ParseJsonReply(*reply, "POST " + path);
        if (!body) return done(body.error());
        Result<BatchReply> answer = ParseBatchReply(*body, put_count, delete_count, "POST " + path);
        if (!answer) return done(answer.error());
        for (const std::string& status : answer->put_status) {
          using Put = BatchOutcome::Put;
          const Put put = status == "stored"         ? Put::kStored
                          : status == "unchanged"    ? Put::kUnchanged
                          : status == "missing-blob" ? Put::kMissingBlob
                                                     : Put::kRefused;
          outcome.puts.push_back(put);
          outcome.put_reasons.push_back(put != Put::kRefused ? "" : status.empty() ? "no status" : status);
        }
        for (const std::string& status : answer->delete_status) {
          const bool deleted = status == "deleted";
          outcome.deletes.push_back(deleted ? BatchOutcome::Delete::kDeleted : BatchOutcome::Delete::kRefused);
          outcome.delete_reasons.push_back(deleted ? "" : status.empty() ? "?" : status);
        }
        done(std::move(outcome));
      });
}

Status HoldfastBackend::RemoveItem(const std::string& collection_id, const std::string& item_name) {
  const std::string path = CollectionPath(collection_id) + "/items/" + EncodePathSegment(item_name);
  Result<platform::HttpResponse> reply = client_->CallNow("DELETE", path);
  if (!reply) return reply.error();
  if (reply->status != 204 && reply->status != 200 && reply->status != 404) {
    return ProblemStatus(*reply, "DELETE " + path);
  }
  return Status::Ok();
}

// ---- Reading back.

std::string HoldfastBackend::ItemName(std::string_view uid) const { return platform::ToWireText(uid); }

Result<Inventory> HoldfastBackend::ListInventory(const std::string& collection_id) {
  Inventory inventory;
  Result<bool> gone = ForEachInventoryPage(collection_id, [&](std::map<std::string, std::string>&& page) {
    for (auto& [name, token] : page) inventory.items.insert_or_assign(name, std::move(token));
    return Status::Ok();
  });
  if (!gone) return gone.error();
  // Gone, even after some pages: nothing is held.
  if (*gone) return Inventory{true, {}};
  return inventory;
}

Result<bool> HoldfastBackend::ForEachInventoryPage(
    const std::string& collection_id, const std::function<Status(std::map<std::string, std::string>&&)>& visit) {
  std::string after;
  bool first = true;
  size_t listed = 0;
  while (first || !after.empty()) {
    const std::string path = CollectionPath(collection_id) + "/inventory?limit=5000" +
                             (after.empty() ? "" : "&after=" + EncodePathSegment(after));
    Result<platform::HttpResponse> reply = client_->CallNow("GET", path);
    if (!reply) return reply.error();
    first = false;
    // The server says the collection does not exist (even after earlier
    // pages: what they held is gone with it): nothing is held.
    if (reply->status == 404) return true;
    if (reply->status != 200) return ProblemStatus(*reply, "GET " + path);
    Result<json> body = ParseJsonReply(*reply, "GET " + path);
    if (!body) return body.error();
    Result<InventoryPage> page = ParseInventoryPage(*body, after, "GET " + path);
    if (!page) return page.error();
    listed += page->items.size();
    if (listed > kMaxInventoryItems) {
      return Status(ErrorCode::kServerError, "GET " + path + ": the inventory goes on past " +
                                                 std::to_string(kMaxInventoryItems) + " items");
    }
    std::map<std::string, std::string> items;
    for (auto& [uid, sha] : page->items) items[std::move(uid)] = std::move(sha);
    after = std::move(page->next);
    HF_RETURN_IF_ERROR(visit(std::move(items)));
  }
  return false;
}

Result<std::optional<std::string>> HoldfastBackend::ReadItem(const std::string& collection_id,
                                                             const std::string& item_name) {
  const std::string path = CollectionPath(collection_id) + "/items/" + EncodePathSegment(item_name);
  Result<platform::HttpResponse> reply = client_->CallNow("GET", path);
  if (!reply) return reply.error();
  if (reply->status == 404) return std::optional<std::string>();
  if (reply->status != 200) return ProblemStatus(*reply, "GET " + path);
  return std::optional<std::string>(std::move(reply->body));
}

}  // namespace holdfast::agent
