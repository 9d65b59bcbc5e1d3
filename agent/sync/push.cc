#include "agent/sync/push.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <set>

#include "agent/sync/held_content.h"
#include "platform/sha256.h"

namespace holdfast::agent {
namespace {

using platform::Digest;
using storage::ItemKind;
using storage::PendingChange;

constexpr int kMaxRounds = 3;
// Pending changes held at once: one page, read from the ledger by key, so
// memory does not grow with the vault (about 2 MB of changes at a time; a
// page's batches keep every transfer busy until its last ones).
constexpr size_t kPageChanges = 10'000;

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
  Pusher(SyncSession& session, const PushProgressFn& progress, PushReport* report)
      : session_(session),
        vault_(session.vault()),
        ledger_(session.ledger()),
        backend_(session.backend()),
        progress_fn_(progress),
        report_(report) {}

  Status Run() {
    const int64_t started = session_.clock().SteadyMs();
    HF_RETURN_IF_ERROR(CheckEpoch());
    HF_RETURN_IF_ERROR(EnsureCollections());
    for (int round = 0; round < kMaxRounds; ++round) {
      if (collection_gone_) {
        // A collection vanished under the push (a wipe meanwhile): ask the
        // server again; a new epoch sets the ledger aside and starts over.
        collection_gone_ = false;
        server_collections_.clear();
        session_.ForgetState();
        HF_RETURN_IF_ERROR(CheckEpoch());
        HF_RETURN_IF_ERROR(EnsureCollections());
      }
      retry_round_ = false;
      HF_RETURN_IF_ERROR(CountPending());
      if (progress_.items_total == 0) break;
      HF_RETURN_IF_ERROR(PushPages());
      if (!retry_round_) break;
      if (round + 1 == kMaxRounds) {
        HF_RETURN_IF_ERROR(CountPending());
        // Each round ended with the server asking for the same work again
        // (a blob it calls missing right after it took it, a collection
        // gone again): another round would do the same.
        return Status(ErrorCode::kServerError,
                      std::to_string(kMaxRounds) + " rounds and the server still " +
                          (collection_gone_ ? "loses a collection" : "answers missing-blob for a blob it took") +
                          ": " + std::to_string(progress_.items_total) + " item(s) not acknowledged");
      }
    }
    HF_RETURN_IF_ERROR(RecordMarkers());
    report_->retries = backend_.retries();
    report_->duration_ms = session_.clock().SteadyMs() - started;
    return Status::Ok();
  }

 private:
  // The first error stops new work; transfers in flight finish.
  void Fail(const Status& status) {
    if (error_.ok()) error_ = status;
  }

  Status CheckEpoch() {
    Result<const RemoteState*> state = session_.State();
    if (!state) return state.error();
    for (const RemoteState::Collection& c : (*state)->collections) {
      server_collections_.insert(c.id);
      markers_seen_ = markers_seen_ || c.tokens.has_value();
    }
    Result<bool> changed = session_.AdoptEpoch(**state);
    if (!changed) return changed.error();
    if (*changed) report_->epoch_changed = true;
    report_->epoch = (*state)->epoch;
    return Status::Ok();
  }

  // ---- Change markers (check.h): recorded against the ledger as it
  // stands, so a collection this push writes to has its markers forgotten
  // before the first write (a push killed midway leaves none: the next check
  // lists the inventory). After the push its new markers are recorded when
  // the collection had recorded ones before (its last check found it healthy
  // and unchanged elsewhere) or this push created it, and nothing in it was
  // refused. The gap between the last write and that read is not covered:
  // another writer's change within it would not show until the markers
  // change again (docs/dav.md, "Detection").

  Status ForgetMarkers(int64_t collection_id) {
    const std::string& id = collection_ids_[collection_id];
    if (written_.count(id) != 0) return Status::Ok();
    Result<std::optional<storage::CollectionTokens>> recorded = ledger_.Tokens(id);
    if (!recorded) return recorded.error();
    written_[id] = recorded->has_value() || created_.count(id) != 0;
    return ledger_.ForgetTokens(id);
  }

  Status RecordMarkers() {
    // A server that gave no markers before the push (any backend without
    // them, or a DAV server with no collection yet) costs no extra request.
    bool any = false;
    if (!markers_seen_) return Status::Ok();
    for (const auto& [id, baseline] : written_) any = any || (baseline && refused_in_.count(id) == 0);
    if (!any) return Status::Ok();
    session_.ForgetState();
    Result<const RemoteState*> state = session_.State();
    // Unread: the markers stay forgotten and the next check lists the
    // inventory; the push itself succeeded.
    if (!state) return Status::Ok();
    for (const RemoteState::Collection& c : (*state)->collections) {
      auto w = written_.find(c.id);
      if (w == written_.end() || !w->second || refused_in_.count(c.id) != 0 || !c.tokens) continue;
      HF_RETURN_IF_ERROR(ledger_.SetTokens(c.id, *c.tokens, session_.now_ms()));
    }
    return Status::Ok();
  }

  // Whether `held` is an earlier content of the item than `head_revision_id`
  // (ItemWrite::earlier): read from the vault only when a backend asks.
  std::function<bool(std::string_view)> EarlierMatcher(const PendingChange& p) {
    const std::string server_collection = collection_ids_[p.collection_id];
    return [this, server_collection, collection_id = p.collection_id, uid = p.uid](std::string_view held) {
      Result<HeldContent> what = ClassifyHeld(vault_, backend_, server_collection, collection_id, uid, nullptr, held);
      // A vault error cannot show it is this device's: refused, never overwritten.
      return what && *what == HeldContent::kEarlier;
    };
  }

  Status EnsureCollections() {
    Result<std::vector<storage::CollectionInfo>> collections = vault_.ListCollections();
    if (!collections) return collections.error();
    for (const storage::CollectionInfo& c : *collections) {
      const std::string id = backend_.CollectionId(c);
      collection_ids_[c.id] = id;
      kinds_[c.id] = c.kind;
      if (server_collections_.count(id) != 0 || unusable_.count(c.id) != 0) continue;
      backend_.EnsureCollection(c, [this, id, c](Status status) {
        if (!status.ok() && UsableElsewhere(status)) {
          // This collection cannot be made or used there (a plain WebDAV
          // server has no address book; a mapped calendar of another
          // component): its items wait, reported; the others go on.
          unusable_.insert(c.id);
          refused_in_.insert(id);
          report_->refused.push_back(std::string(storage::ItemKindName(c.kind)) + " collection '" + c.name +
                                     "': " + status.message() + " (its items stay in the vault, not sent)");
          return;
        }
        if (!status.ok()) return Fail(status);
        server_collections_.insert(id);
        created_.insert(id);
        ++report_->collections_created;
      });
    }
    HF_RETURN_IF_ERROR(backend_.Run());
    return error_;
  }

  // Whether an error making one collection leaves the others to push: the
  // backend's kInvalidArgument, "this server cannot hold this collection"
  // (remote_backend.h), not a failure of the server or the connection.
  static bool UsableElsewhere(const Status& status) { return status.code() == ErrorCode::kInvalidArgument; }

  // What this round will send, for progress: counted, not kept.
  Status CountPending() {
    progress_ = PushProgress{};
    Result<std::map<int64_t, storage::Ledger::PendingTotals>> totals = ledger_.PendingByCollection();
    if (!totals) return totals.error();
    for (const auto& [collection_id, t] : *totals) {
      if (unusable_.count(collection_id) != 0) continue;
      progress_.items_total += t.changes;
      progress_.bytes_total += t.put_bytes;
    }
    return Status::Ok();
  }

  // One round: contacts, calendars, tasks, notes, then photos newest first;
  // a page of each collection at a time, its blobs, then its batches.
  Status PushPages() {
    std::vector<int64_t> order;
    for (const auto& [id, kind] : kinds_) {
      if (unusable_.count(id) == 0) order.push_back(id);
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return KindOrder(kinds_[a]) < KindOrder(kinds_[b]); });
    for (int64_t collection_id : order) {
      const bool newest_first = kinds_[collection_id] == ItemKind::kPhoto;
      storage::PendingCursor cursor;
      while (true) {
        Result<std::vector<PendingChange>> page = ledger_.PendingPage(collection_id, newest_first, cursor, kPageChanges);
        if (!page) return page.error();
        if (page->empty()) break;
        pending_ = std::move(*page);
        cursor = storage::PendingCursor{pending_.back().item_id, pending_.back().captured_at_ms};
        HF_RETURN_IF_ERROR(UploadBlobs());
        HF_RETURN_IF_ERROR(SendBatches());
        const bool last = pending_.size() < kPageChanges;
        pending_.clear();
        if (last) break;
      }
    }
    return Status::Ok();
  }

  void Progress() {
    if (progress_fn_) progress_fn_(progress_);
  }

  // ---- Blobs: each one resumed where the server's copy ends.

  // One blob to upload: read from the revision that holds it (a photo's
  // blob, or a large contact's inline bytes: the backend may want content
  // as a blob whatever the vault keeps it as).
  struct BlobUpload {
    Digest sha256{};
    uint64_t size_bytes = 0;
    int64_t revision_id = 0;
  };

  Status UploadBlobs() {
    std::set<Digest> seen;
    for (const PendingChange& p : pending_) {
      if (p.deleted || !NeedsBlob(p) || !seen.insert(p.sha256).second) continue;
      Result<bool> held = ledger_.HasBlob(p.sha256);
      if (!held) return held.error();
      if (!*held) blob_queue_.push_back(BlobUpload{p.sha256, p.size_bytes, p.head_revision_id});
    }
    StartBlobs();
    HF_RETURN_IF_ERROR(backend_.Run());
    HF_RETURN_IF_ERROR(error_);
    return Unfinished("blob", blob_queue_.size(), active_blobs_);
  }

  bool NeedsBlob(const PendingChange& p) const { return backend_.NeedsBlob(p.size_bytes, p.in_blob); }

  int MaxInFlight() const { return std::max(backend_.max_in_flight(), 1); }

  // Starts uploads while there is room. Every pass either starts one (it
  // leaves the queue) or stops: after an error nothing new starts.
  void StartBlobs() {
    while (error_.ok() && !blob_queue_.empty() && active_blobs_ < MaxInFlight()) {
      const BlobUpload upload = blob_queue_.front();
      blob_queue_.pop_front();
      ++active_blobs_;
      const int64_t revision_id = upload.revision_id;
      const Digest sha = upload.sha256;
      backend_.UploadBlob(
          upload.sha256, upload.size_bytes,
          [this, revision_id](uint64_t offset, uint64_t max_bytes, std::string* out) {
            // After an error elsewhere no more chunks go: the upload ends
            // with that error (already the push's; Fail keeps the first).
            if (!error_.ok()) return error_;
            return vault_.ReadRevisionRange(revision_id, offset, max_bytes, [&](std::string_view bytes) {
              out->append(bytes);
              return Status::Ok();
            });
          },
          [this](int64_t bytes) {
            report_->bytes_sent += bytes;
            progress_.bytes_done += bytes;
            Progress();
          },
          [this, sha](Status status) {
            if (!status.ok()) return BlobDone(status);
            ++report_->blobs_uploaded;
            BlobDone(ledger_.RecordBlob(sha));
          });
    }
  }

  // Work that neither finished nor failed once the client ran dry is a bug
  // in this file; it must not pass for a finished push.
  static Status Unfinished(const char* what, size_t queued, int active) {
    if (queued == 0 && active == 0) return Status::Ok();
    return Status(ErrorCode::kInternal, std::to_string(queued) + " " + what + "(s) never started and " +
                                            std::to_string(active) + " never ended");
  }

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
      if (current.collection_id != p.collection_id || current.changes.size() >= backend_.max_batch_entries() ||
          inline_bytes >= backend_.max_batch_inline_bytes()) {
        if (!current.changes.empty()) batches_.push_back(std::move(current));
        current = Batch{p.collection_id, {}};
        inline_bytes = 0;
      }
      current.changes.push_back(&p);
      if (!p.deleted && !NeedsBlob(p)) inline_bytes += p.size_bytes;
    }
    if (!current.changes.empty()) batches_.push_back(std::move(current));
    for (const Batch& b : batches_) HF_RETURN_IF_ERROR(ForgetMarkers(b.collection_id));
    StartBatches();
    HF_RETURN_IF_ERROR(backend_.Run());
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
    std::vector<ItemWrite> puts;
    std::vector<ItemDelete> deletes;
    for (const PendingChange* p : batch.changes) {
      if (p->deleted) {
        deletes.push_back({p->uid, p->acked_version});
        continue;
      }
      ItemWrite write{p->uid, p->sha256, NeedsBlob(*p), {}, p->acknowledged, p->acked_version, EarlierMatcher(*p)};
      if (!write.as_blob) {
        const uint64_t max_bytes = std::max<uint64_t>(p->size_bytes, backend_.max_batch_inline_bytes());
        Result<std::string> content = vault_.ReadRevisionBytes(p->head_revision_id, max_bytes);
        if (!content) return Fail(content.error());
        if (platform::Sha256Of(*content) != p->sha256) {
          return Fail(Status(ErrorCode::kDamageFound, "item '" + p->uid +
                                                          "': its bytes in the vault no longer match their SHA-256 "
                                                          "(run `holdfast verify`)"));
        }
        write.content = std::move(*content);
      }
      puts.push_back(std::move(write));
    }
    ++active_batches_;
    auto shared = std::make_shared<Batch>(std::move(batch));
    backend_.WriteChanges(collection_ids_[shared->collection_id], std::move(puts), std::move(deletes),
                        [this, shared](Result<BatchOutcome>&& outcome) {
                          Status status = outcome ? BatchAnswered(*shared, *outcome) : outcome.error();
                          if (!status.ok()) Fail(status);
                          --active_batches_;
                          StartBatches();
                        });
  }

  Status BatchAnswered(const Batch& batch, const BatchOutcome& outcome) {
    if (outcome.collection_gone) {
      // The collection is gone from the server: nothing of this batch was
      // acknowledged; the next round finds out why and sends it again.
      collection_gone_ = true;
      retry_round_ = true;
      return Status::Ok();
    }
    std::vector<const PendingChange*> put_changes, delete_changes;
    for (const PendingChange* p : batch.changes) (p->deleted ? delete_changes : put_changes).push_back(p);
    if (outcome.puts.size() != put_changes.size() || outcome.deletes.size() != delete_changes.size()) {
      return Status(ErrorCode::kInternal, "a batch outcome without one answer per entry");
    }
    std::vector<storage::LedgerAck> acks;
    for (size_t i = 0; i < put_changes.size(); ++i) {
      const PendingChange& p = *put_changes[i];
      using Put = BatchOutcome::Put;
      const Put put = outcome.puts[i];
      if (put == Put::kStored || put == Put::kUnchanged) {
        acks.push_back({p.item_id, p.sha256, false, i < outcome.put_versions.size() ? outcome.put_versions[i] : ""});
        ++(put == Put::kStored ? report_->items_stored : report_->items_unchanged);
        if (!NeedsBlob(p)) {  // a blob's bytes were counted as its chunks went
          report_->bytes_sent += static_cast<int64_t>(p.size_bytes);
          progress_.bytes_done += static_cast<int64_t>(p.size_bytes);
        }
      } else if (put == Put::kMissingBlob) {
        // The server does not have the blob after all: upload it in the next round.
        HF_RETURN_IF_ERROR(ledger_.ForgetBlob(p.sha256));
        retry_round_ = true;
      } else {
        // Kept in the vault and listed by `holdfast status` until the server
        // acknowledges the item (RecordAcks clears it); the run goes on.
        const std::string& reason = i < outcome.put_reasons.size() ? outcome.put_reasons[i] : "";
        HF_RETURN_IF_ERROR(ledger_.RecordRefusal(p.item_id, p.sha256, reason.empty() ? "no status" : reason,
                                                 session_.now_ms()));
        report_->refused.push_back("item '" + p.uid + "': " + reason);
        refused_in_.insert(collection_ids_[batch.collection_id]);
      }
    }
    for (size_t i = 0; i < delete_changes.size(); ++i) {
      if (outcome.deletes[i] == BatchOutcome::Delete::kDeleted) {
        acks.push_back({delete_changes[i]->item_id, {}, true, ""});
        ++report_->deletes;
      } else {
        report_->refused.push_back("deletion of '" + delete_changes[i]->uid + "': " + outcome.delete_reasons[i]);
        refused_in_.insert(collection_ids_[batch.collection_id]);
      }
    }
    // Acknowledged only now, and only what the server answered for.
    HF_RETURN_IF_ERROR(ledger_.RecordAcks(acks, session_.now_ms()));
    progress_.items_done += static_cast<int64_t>(batch.changes.size());
    Progress();
    return Status::Ok();
  }

  SyncSession& session_;
  storage::Vault& vault_;
  storage::Ledger& ledger_;
  RemoteBackend& backend_;
  const PushProgressFn& progress_fn_;
  PushReport* report_;
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
  bool markers_seen_ = false;               // the state read before the push gave change markers
  std::set<std::string> created_;           // collections this push created
  std::map<std::string, bool> written_;     // collections written to -> whether markers may be recorded after
  std::set<std::string> refused_in_;        // collections where the server refused something
  std::set<int64_t> unusable_;              // vault collections the server cannot hold: not sent
};

}  // namespace

Result<PushReport> PushPending(SyncSession& session, const PushProgressFn& progress) {
  PushReport report;
  report.remote = session.remote();
  Pusher pusher(session, progress, &report);
  Status status = pusher.Run();
  // What the push changed on the server: the next step asks it again.
  session.ForgetState();
  HF_RETURN_IF_ERROR(status.WithContext("push to remote '" + session.remote() + "'"));
  return report;
}

}  // namespace holdfast::agent
