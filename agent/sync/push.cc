#include "agent/sync/push.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <set>

#include "agent/sync/remote_client.h"
#include "agent/sync/replies.h"
#include "platform/base64.h"
#include "platform/sha256.h"
#include "platform/wire_text.h"
#include "storage/ledger.h"

namespace holdfast::agent {
namespace {

using nlohmann::json;
using platform::Digest;
using storage::ItemKind;
using storage::PendingChange;
using storage::Vault;

constexpr size_t kMaxBatchEntries = 500;
constexpr size_t kMaxBatchInlineBytes = size_t{4} << 20;
constexpr uint64_t kBlobChunkBytes = uint64_t{4} << 20;
constexpr uint64_t kMaxInlineItemBytes = uint64_t{1} << 20;  // larger content goes as a blob
constexpr int kMaxRounds = 3;

int64_t SteadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// Contacts first, photos last: what a user misses most goes first.
int KindOrder(ItemKind kind) {
  switch (kind) {
    case ItemKind::kContact: return 0;
    case ItemKind::kEvent: return 1;
    case ItemKind::kTask: return 2;
    case ItemKind::kNote: return 3;
    case ItemKind::kPhoto: return 4;
  }
  return 5;
}

class Pusher {
 public:
  Pusher(Vault& vault, const PushOptions& options, RemoteClient& client, PushReport* report)
      : vault_(vault), options_(options), client_(client), report_(report), remote_(client.remote().name) {}

  Status Run() {
    const int64_t started = SteadyMs();
    HF_RETURN_IF_ERROR(CheckEpoch());
    HF_RETURN_IF_ERROR(EnsureCollections());
    for (int round = 0; round < kMaxRounds; ++round) {
      if (collection_gone_) {
        // A collection vanished under the push (a wipe meanwhile): ask the
        // server again; a new epoch sets the ledger aside and starts over.
        collection_gone_ = false;
        server_collections_.clear();
        HF_RETURN_IF_ERROR(CheckEpoch());
        HF_RETURN_IF_ERROR(EnsureCollections());
      }
      retry_round_ = false;
      HF_RETURN_IF_ERROR(LoadPending());
      if (pending_.empty()) break;
      HF_RETURN_IF_ERROR(UploadBlobs());
      HF_RETURN_IF_ERROR(SendBatches());
      if (!retry_round_) break;
      if (round + 1 == kMaxRounds) {
        // Each round ended with the server asking for the same work again
        // (a blob it calls missing right after it took it, a collection
        // gone again): another round would do the same.
        return Status(ErrorCode::kServerError,
                      std::to_string(kMaxRounds) + " rounds and the server still " +
                          (collection_gone_ ? "loses a collection" : "answers missing-blob for a blob it took") +
                          ": " + std::to_string(pending_.size()) + " item(s) not acknowledged");
      }
    }
    report_->retries = client_.retries();
    report_->duration_ms = SteadyMs() - started;
    return Status::Ok();
  }

 private:
  // The first error stops new work; transfers in flight finish.
  void Fail(const Status& status) {
    if (error_.ok()) error_ = status;
  }

  Status CheckEpoch() {
    Result<platform::HttpResponse> reply = client_.CallNow("GET", "/state");
    if (!reply) return reply.error();
    if (reply->status != 200) return ProblemStatus(*reply, "GET /state");
    Result<json> body = ParseJsonReply(*reply, "GET /state");
    if (!body) return body.error();
    Result<StateReply> state = ParseStateReply(*body, "GET /state");
    if (!state) return state.error();
    const std::string& epoch = state->epoch;
    for (const StateReply::Collection& c : state->collections) server_collections_.insert(c.id);
    Result<std::optional<std::string>> known = storage::Ledger(vault_, remote_).Epoch();
    if (!known) return known.error();
    if (known->has_value() && **known != epoch) {
      // The server lost or replaced its data: what it acknowledged before is
      // no longer there. Set the ledger aside and send everything again.
      HF_RETURN_IF_ERROR(storage::Ledger(vault_, remote_).Clear());
      report_->epoch_changed = true;
    }
    report_->epoch = epoch;
    return storage::Ledger(vault_, remote_).SetEpoch(epoch, options_.now_ms);
  }

  Status EnsureCollections() {
    Result<std::vector<storage::CollectionInfo>> collections = vault_.ListCollections();
    if (!collections) return collections.error();
    for (const storage::CollectionInfo& c : *collections) {
      const std::string id = RemoteCollectionId(c);
      collection_ids_[c.id] = id;
      kinds_[c.id] = c.kind;
      if (server_collections_.count(id) != 0) continue;
      json body = {{"kind", storage::ItemKindName(c.kind)}, {"name", platform::ToWireText(c.name)}};
      client_.Call("PUT", "/collections/" + id, body.dump(-1, ' ', false, json::error_handler_t::strict),
                   "application/json", [this, id](Result<platform::HttpResponse>&& reply) {
                     if (!reply) return Fail(reply.error());
                     if (reply->status != 200) return Fail(ProblemStatus(*reply, "PUT /collections/" + id));
                     server_collections_.insert(id);
                     ++report_->collections_created;
                   });
    }
    HF_RETURN_IF_ERROR(client_.Run());
    return error_;
  }

  Status LoadPending() {
    pending_.clear();
    HF_RETURN_IF_ERROR(storage::Ledger(vault_, remote_).ForEachPending([&](PendingChange&& change) {
      pending_.push_back(std::move(change));
      return Status::Ok();
    }));
    // Contacts, calendars, tasks, notes, then photos newest first.
    std::stable_sort(pending_.begin(), pending_.end(), [&](const PendingChange& a, const PendingChange& b) {
      const int ka = KindOrder(kinds_[a.collection_id]), kb = KindOrder(kinds_[b.collection_id]);
      if (ka != kb) return ka < kb;
      if (kinds_[a.collection_id] == ItemKind::kPhoto && a.captured_at_ms != b.captured_at_ms) {
        return a.captured_at_ms > b.captured_at_ms;
      }
      return false;
    });
    progress_ = PushProgress{};
    for (const PendingChange& p : pending_) {
      ++progress_.items_total;
      if (!p.deleted) progress_.bytes_total += static_cast<int64_t>(p.size_bytes);
    }
    return Status::Ok();
  }

  void Progress() {
    if (options_.progress) options_.progress(progress_);
  }

  // ---- Blobs: each one resumed where the server's copy ends.

  // One blob being uploaded: read from the revision that holds it (a photo's
  // blob, or a large contact's inline bytes: the server wants any content
  // over kMaxInlineItemBytes as a blob, whatever the vault keeps it as).
  struct BlobUpload {
    Digest sha256{};
    uint64_t size_bytes = 0;
    int64_t revision_id = 0;
    uint64_t high_water = 0;  // the most the server ever said it holds
    int setbacks = 0;         // 409s since high_water last grew
  };

  Status UploadBlobs() {
    std::set<Digest> seen;
    for (const PendingChange& p : pending_) {
      if (p.deleted || !NeedsBlob(p) || !seen.insert(p.sha256).second) continue;
      Result<bool> held = storage::Ledger(vault_, remote_).HasBlob(p.sha256);
      if (!held) return held.error();
      if (!*held) blob_queue_.push_back(BlobUpload{p.sha256, p.size_bytes, p.head_revision_id});
    }
    StartBlobs();
    HF_RETURN_IF_ERROR(client_.Run());
    HF_RETURN_IF_ERROR(error_);
    return Unfinished("blob", blob_queue_.size(), active_blobs_);
  }

  // Content over the protocol's inline limit goes as a blob, whether the
  // vault keeps it inline (a contact with a photo) or in the blob store.
  bool NeedsBlob(const PendingChange& p) const { return p.in_blob || p.size_bytes > kMaxInlineItemBytes; }

  int MaxInFlight() const { return std::max(options_.max_in_flight, 1); }

  // Starts uploads while there is room. Every pass either starts one (it
  // leaves the queue) or stops: after an error nothing new starts.
  void StartBlobs() {
    while (error_.ok() && !blob_queue_.empty() && active_blobs_ < MaxInFlight()) {
      BlobUpload upload = blob_queue_.front();
      blob_queue_.pop_front();
      ++active_blobs_;
      // The first chunk goes without asking first: a server that holds part
      // of the blob answers 409 with its offset (and one that holds all of
      // it, 200 complete), so a resumed upload costs one chunk, a new one no
      // round trip.
      SendChunk(std::make_shared<BlobUpload>(upload), 0);
    }
  }

  // Work that neither finished nor failed once the client ran dry is a bug
  // in this file; it must not pass for a finished push.
  static Status Unfinished(const char* what, size_t queued, int active) {
    if (queued == 0 && active == 0) return Status::Ok();
    return Status(ErrorCode::kInternal, std::to_string(queued) + " " + what + "(s) never started and " +
                                            std::to_string(active) + " never ended");
  }

  // A server that answers 409 with an offset no further than it held
  // before, this many times in a row, is not following the protocol.
  static constexpr int kMaxSetbacks = 3;

  void SendChunk(std::shared_ptr<BlobUpload> upload, uint64_t offset) {
    if (!error_.ok()) return BlobDone(Status::Ok());
    const uint64_t size = upload->size_bytes;
    std::string chunk;
    chunk.reserve(std::min(kBlobChunkBytes, size - std::min(size, offset)));
    Status read = vault_.ReadRevisionRange(upload->revision_id, offset, kBlobChunkBytes, [&](std::string_view bytes) {
      chunk.append(bytes);
      return Status::Ok();
    });
    if (!read.ok()) return BlobDone(read);
    const std::string path = "/blobs/" + platform::ToHex(upload->sha256) + "?offset=" + std::to_string(offset) +
                             "&size=" + std::to_string(size);
    const uint64_t length = chunk.size();
    client_.Call("PUT", path, std::move(chunk), "application/octet-stream",
                 [this, upload, offset, length, path](Result<platform::HttpResponse>&& reply) {
                   if (!reply) return BlobDone(reply.error());
                   if (reply->status == 409) {
                     // The server holds a different amount: go on from there.
                     Result<json> body = ParseJsonReply(*reply, "PUT " + path);
                     if (!body) return BlobDone(body.error());
                     Result<uint64_t> held = ParseBlobConflictReply(*body, upload->size_bytes, "PUT " + path);
                     if (!held) return BlobDone(held.error());
                     if (!Advanced(*upload, *held) && ++upload->setbacks >= kMaxSetbacks) {
                       return BlobDone(Status(ErrorCode::kServerError,
                                              "PUT " + path + ": " + std::to_string(upload->setbacks) +
                                                  " conflicting offsets in a row, none past byte " +
                                                  std::to_string(upload->high_water) +
                                                  ": the upload makes no progress"));
                     }
                     return SendChunk(upload, *held);
                   }
                   if (reply->status != 200) return BlobDone(ProblemStatus(*reply, "PUT " + path));
                   Result<json> body = ParseJsonReply(*reply, "PUT " + path);
                   if (!body) return BlobDone(body.error());
                   Result<BlobChunkReply> state = ParseBlobChunkReply(*body, "PUT " + path);
                   if (!state) return BlobDone(state.error());
                   report_->bytes_sent += static_cast<int64_t>(length);
                   progress_.bytes_done += static_cast<int64_t>(length);
                   Progress();
                   if (state->complete) {
                     ++report_->blobs_uploaded;
                     return BlobComplete(upload->sha256);
                   }
                   Result<uint64_t> next = NextBlobOffset(*state, offset, length, upload->size_bytes, "PUT " + path);
                   if (!next) return BlobDone(next.error());
                   Advanced(*upload, *next);
                   SendChunk(upload, *next);
                 });
  }

  // Whether the server now holds more than it ever did; resets the setbacks if so.
  static bool Advanced(BlobUpload& upload, uint64_t held) {
    if (held <= upload.high_water) return false;
    upload.high_water = held;
    upload.setbacks = 0;
    return true;
  }

  void BlobComplete(const Digest& sha) { BlobDone(storage::Ledger(vault_, remote_).RecordBlob(sha)); }

  void BlobDone(const Status& status) {
    if (!status.ok()) Fail(status);
    --active_blobs_;
    StartBlobs();
  }

  // ---- Items, in batches per collection.

  struct Batch {
    int64_t collection_id = 0;
    std::vector<const PendingChange*> changes;
  };

  Status SendBatches() {
    Batch current;
    size_t inline_bytes = 0;
    for (const PendingChange& p : pending_) {
      if (current.collection_id != p.collection_id || current.changes.size() >= kMaxBatchEntries ||
          inline_bytes >= kMaxBatchInlineBytes) {
        if (!current.changes.empty()) batches_.push_back(std::move(current));
        current = Batch{p.collection_id, {}};
        inline_bytes = 0;
      }
      current.changes.push_back(&p);
      if (!p.deleted && !NeedsBlob(p)) inline_bytes += p.size_bytes;
    }
    if (!current.changes.empty()) batches_.push_back(std::move(current));
    StartBatches();
    HF_RETURN_IF_ERROR(client_.Run());
    HF_RETURN_IF_ERROR(error_);
    return Unfinished("batch", batches_.size(), active_batches_);
  }

  // Starts batches while there is room. Every pass either starts one or
  // takes it off the queue and fails: after an error nothing new starts.
  void StartBatches() {
    while (error_.ok() && !batches_.empty() && active_batches_ < MaxInFlight()) StartNextBatch();
  }

  void StartNextBatch() {
    Batch batch = std::move(batches_.front());
    batches_.pop_front();
    json puts = json::array();
    json deletes = json::array();
    for (const PendingChange* p : batch.changes) {
      if (p->deleted) {
        deletes.push_back(platform::ToWireText(p->uid));
        continue;
      }
      json entry = {{"uid", platform::ToWireText(p->uid)}, {"sha256", platform::ToHex(p->sha256)}};
      if (NeedsBlob(*p)) {
        entry["blob"] = true;
      } else {
        Result<std::string> content = vault_.ReadRevisionBytes(p->head_revision_id, kMaxInlineItemBytes);
        if (!content) return Fail(content.error());
        if (platform::Sha256Of(*content) != p->sha256) {
          return Fail(Status(ErrorCode::kDamageFound, "item '" + p->uid +
                                                          "': its bytes in the vault no longer match their SHA-256 "
                                                          "(run `holdfast verify`)"));
        }
        entry["content_base64"] = platform::Base64Encode(*content);
      }
      puts.push_back(std::move(entry));
    }
    json body = {{"put", puts}, {"delete", deletes}};
    const std::string path = "/collections/" + collection_ids_[batch.collection_id] + "/batch";
    ++active_batches_;
    auto shared = std::make_shared<Batch>(std::move(batch));
    client_.Call("POST", path, body.dump(-1, ' ', false, json::error_handler_t::strict), "application/json",
                 [this, shared, path](Result<platform::HttpResponse>&& reply) {
                   Status status = reply ? BatchAnswered(*shared, *reply, path) : reply.error();
                   if (!status.ok()) Fail(status);
                   --active_batches_;
                   StartBatches();
                 });
  }

  Status BatchAnswered(const Batch& batch, const platform::HttpResponse& reply, const std::string& path) {
    if (reply.status == 404) {
      // The collection is gone from the server: nothing of this batch was
      // acknowledged; the next round finds out why and sends it again.
      collection_gone_ = true;
      retry_round_ = true;
      return Status::Ok();
    }
    if (reply.status != 200) return ProblemStatus(reply, "POST " + path);
    Result<json> body = ParseJsonReply(reply, "POST " + path);
    if (!body) return body.error();
    std::vector<const PendingChange*> put_changes, delete_changes;
    for (const PendingChange* p : batch.changes) (p->deleted ? delete_changes : put_changes).push_back(p);
    Result<BatchReply> answer = ParseBatchReply(*body, put_changes.size(), delete_changes.size(), "POST " + path);
    if (!answer) return answer.error();
    std::vector<storage::LedgerAck> acks;
    for (size_t i = 0; i < put_changes.size(); ++i) {
      const PendingChange& p = *put_changes[i];
      const std::string& status = answer->put_status[i];
      if (status == "stored" || status == "unchanged") {
        acks.push_back({p.item_id, p.sha256, false});
        ++(status == "stored" ? report_->items_stored : report_->items_unchanged);
        if (!NeedsBlob(p)) report_->bytes_sent += static_cast<int64_t>(p.size_bytes);
        if (!NeedsBlob(p)) progress_.bytes_done += static_cast<int64_t>(p.size_bytes);
      } else if (status == "missing-blob") {
        // The server does not have the blob after all: upload it in the next round.
        HF_RETURN_IF_ERROR(storage::Ledger(vault_, remote_).ForgetBlob(p.sha256));
        retry_round_ = true;
      } else {
        report_->refused.push_back("item '" + p.uid + "': " + (status.empty() ? "no status" : status));
      }
    }
    for (size_t i = 0; i < delete_changes.size(); ++i) {
      const std::string& status = answer->delete_status[i];
      if (status == "deleted") {
        acks.push_back({delete_changes[i]->item_id, {}, true});
        ++report_->deletes;
      } else {
        report_->refused.push_back("deletion of '" + delete_changes[i]->uid + "': " + (status.empty() ? "?" : status));
      }
    }
    // Acknowledged only now, and only what the server answered for.
    HF_RETURN_IF_ERROR(storage::Ledger(vault_, remote_).RecordAcks(acks, options_.now_ms));
    progress_.items_done += static_cast<int64_t>(batch.changes.size());
    Progress();
    return Status::Ok();
  }

  Vault& vault_;
  const PushOptions& options_;
  RemoteClient& client_;
  PushReport* report_;
  const std::string remote_;
  Status error_;
  std::set<std::string> server_collections_;
  std::map<int64_t, std::string> collection_ids_;
  std::map<int64_t, ItemKind> kinds_;
  std::vector<PendingChange> pending_;
  std::deque<BlobUpload> blob_queue_;
  int active_blobs_ = 0;
  std::deque<Batch> batches_;
  int active_batches_ = 0;
  bool retry_round_ = false;
  bool collection_gone_ = false;
  PushProgress progress_;
};

}  // namespace

std::string RemoteCollectionId(const storage::CollectionInfo& collection) {
  platform::Sha256 hasher;
  hasher.Update(collection.source);
  hasher.Update(std::string_view("\0", 1));
  hasher.Update(collection.name);
  return platform::ToHex(hasher.Finish()).substr(0, 32);
}

Result<const RemoteConfig*> ChooseRemote(const Config& config, const std::string& name) {
  if (!name.empty()) {
    const RemoteConfig* remote = config.FindRemote(name);
    if (remote == nullptr) return Status(ErrorCode::kNotFound, "no remote named '" + name + "' (see `holdfast remote list`)");
    return remote;
  }
  if (config.remotes.empty()) {
    return Status(ErrorCode::kNotFound, "no remote is configured (add one with `holdfast remote add`)");
  }
  if (config.remotes.size() > 1) {
    return Status(ErrorCode::kInvalidArgument, "several remotes are configured: name one with --remote");
  }
  return &config.remotes.front();
}

Result<PushReport> PushWith(Vault& vault, RemoteClient& client, const PushOptions& options) {
  PushReport report;
  report.remote = client.remote().name;
  Pusher pusher(vault, options, client, &report);
  HF_RETURN_IF_ERROR(pusher.Run().WithContext("push to remote '" + client.remote().name + "'"));
  return report;
}

RemoteOptions RemoteOptionsFor(const PushOptions& options) {
  RemoteOptions remote_options;
  remote_options.max_in_flight = options.max_in_flight;
  remote_options.max_attempts = options.max_attempts;
  remote_options.backoff_base_ms = options.backoff_base_ms;
  remote_options.backoff_cap_ms = options.backoff_cap_ms;
  remote_options.max_rate_bytes_per_s = options.max_rate_bytes_per_s;
  return remote_options;
}

Result<PushReport> Push(Vault& vault, const Config& config, const PushOptions& options) {
  Result<const RemoteConfig*> remote = ChooseRemote(config, options.remote);
  if (!remote) return remote.error();
  Result<std::unique_ptr<RemoteClient>> client = RemoteClient::Connect(**remote, RemoteOptionsFor(options));
  if (!client) return client.error();
  return PushWith(vault, **client, options);
}

}  // namespace holdfast::agent
