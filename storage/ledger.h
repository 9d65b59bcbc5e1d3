// The ledger: what one remote (a server named in the config) acknowledged
// holding of the vault: items with their content, deletions, complete blobs,
// the server epoch those acknowledgements belong to, and the state of a
// recovery from that remote. Pending changes are what the vault holds and
// the remote's ledger does not.
//
// Ownership: a Ledger is a view of one remote's ledger in a vault: it
// borrows the vault's connection and must not outlive the Vault it was made
// from. Views are cheap to make; two views of the same remote see the same
// rows. Not thread-safe: use it from the vault's thread.
//
// Durability: the vault's (storage/vault.h). A write that returns OK outside
// a WriteBatch is durable when it returns; inside a batch it becomes durable
// when the batch commits. Record only what the server answered: an
// acknowledgement written here means the vault will not send that content again.
#pragma once

#include <cstdint>
#include <climits>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/sha256.h"
#include "platform/status.h"

namespace holdfast::storage {

class Vault;
class VaultConnection;

// An item whose state on a remote differs from the vault's: new or changed
// content to send, or a deletion to send.
struct PendingChange {
  int64_t item_id = 0;
  int64_t collection_id = 0;
  std::string uid;
  platform::Digest sha256{};  // the current content
  uint64_t size_bytes = 0;
  int64_t head_revision_id = 0;
  bool deleted = false;  // send a deletion
  bool in_blob = false;  // the content lives in the blob store
  int64_t captured_at_ms = 0;  // when the current content was captured
  // What the remote holds of this item now, when it acknowledged an earlier
  // content: its version token (LedgerAck::version), "" when none was kept
  // or the remote holds nothing of it. A DAV backend sends it as If-Match.
  bool acknowledged = false;
  std::string acked_version;
};

// Where a page of pending changes ended (Ledger::PendingPage): the next
// page starts after it. The default starts at the beginning.
struct PendingCursor {
  int64_t item_id = 0;
  int64_t captured_at_ms = INT64_MAX;  // used by the newest-first order only
};

// What a remote acknowledged about one item.
struct LedgerAck {
  int64_t item_id = 0;
  platform::Digest sha256{};  // the content it now holds (ignored for deletions)
  bool deletion = false;
  // The server's own token for the content it now holds (a DAV ETag); empty
  // when it gave none (the Holdfast protocol: the SHA-256 names the content).
  std::string version;
};

// One item a remote acknowledged.
struct LedgerEntry {
  int64_t item_id = 0;
  std::string uid;
  platform::Digest sha256{};
  std::string version;  // LedgerAck::version as recorded; may be empty
};

// A recovery in progress for a remote.
struct RecoveryState {
  std::string reason;  // why it started: "epoch", "lost", "reupload ID", "manual"
  int64_t started_ms = 0;
  std::string progress;  // the agent's JSON text, updated as it goes; may be empty
};

struct RecoveryRecord {
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  bool verified = false;
  std::string report;  // the agent's JSON text
};

// What a server said last about one of its collections (DAV): its sync
// token and CTag; "" when it gave none.
struct CollectionTokens {
  std::string sync_token;
  std::string ctag;
  bool operator==(const CollectionTokens&) const = default;
};

// An item a remote refused to store, and why, until it acknowledges one.
struct Refusal {
  int64_t item_id = 0;
  int64_t collection_id = 0;
  std::string uid;
  platform::Digest sha256{};  // the content refused
  std::string reason;         // the server's word
  int64_t refused_ms = 0;
};

struct LedgerCounts {
  int64_t acknowledged = 0;     // live items the remote holds with their current content
  int64_t pending_puts = 0;     // live items new or changed since
  int64_t pending_deletes = 0;  // deletions not yet acknowledged
  int64_t pending_bytes = 0;    // content bytes of the pending puts
};

class Ledger {
 public:
  // The ledger of `remote` in `vault` (empty until something is recorded).
  Ledger(Vault& vault, std::string_view remote);

  const std::string& remote() const { return remote_; }

  // Calls `visit` for every item whose content the remote does not hold, or
  // whose deletion it has not acknowledged; streaming, in collection order.
  Status ForEachPending(const std::function<Status(PendingChange&&)>& visit);
  // How many pending changes each collection has (deletions included), and
  // the content bytes of its pending puts: collection id -> totals. Counted
  // by SQLite without sorting, so memory does not grow with the vault.
  struct PendingTotals {
    int64_t changes = 0;
    int64_t puts = 0;  // of them, new or changed content (not deletions)
    int64_t put_bytes = 0;
  };
  Result<std::map<int64_t, PendingTotals>> PendingByCollection();
  // The same changes as ForEachPending, one collection's, at most `limit` of
  // them after `after`: by item id, or (`newest_first`) by capture time
  // newest first, then item id. Paged by key, so memory holds one page and a
  // change acknowledged between pages drops out without shifting the others;
  // the next page starts after the last change of this one (its item_id and
  // captured_at_ms). Empty: no more.
  Result<std::vector<PendingChange>> PendingPage(int64_t collection_id, bool newest_first, const PendingCursor& after,
                                                 size_t limit);
  // Records acknowledgements, all in one transaction (or the open batch).
  // Idempotent. Only call it with what the server answered.
  Status RecordAcks(const std::vector<LedgerAck>& acks, int64_t now_ms);
  Result<LedgerCounts> Counts();
  // What the remote acknowledged in one collection, ordered by uid.
  Result<std::vector<LedgerEntry>> EntriesFor(int64_t collection_id);
  // The same entries as EntriesFor, one at a time: memory holds one.
  // `visit` may read the vault but not write to it; its error stops the walk.
  Status ForEachEntry(int64_t collection_id, const std::function<Status(LedgerEntry&&)>& visit);
  // What the remote acknowledged of one item; nullopt if nothing.
  Result<std::optional<LedgerEntry>> EntryOf(int64_t item_id);
  // Forgets acknowledgements: of these items, or of a whole collection.
  Status ForgetAcks(const std::vector<int64_t>& item_ids);
  Status ForgetCollectionAcks(int64_t collection_id);

  // The sync token and CTag last seen for a server collection (its id on
  // the server); nullopt when none was recorded.
  Result<std::optional<CollectionTokens>> Tokens(std::string_view collection);
  Status SetTokens(std::string_view collection, const CollectionTokens& tokens, int64_t now_ms);
  Status ForgetTokens(std::string_view collection);

  // Refusals: recorded when the remote refuses an item's content; an
  // acknowledgement of the item (RecordAcks) clears its refusal.
  Status RecordRefusal(int64_t item_id, const platform::Digest& sha256, std::string_view reason, int64_t now_ms);
  // Every item the remote refuses now, in collection and uid order.
  Result<std::vector<Refusal>> Refusals();

  // Blobs the remote holds complete.
  Result<bool> HasBlob(const platform::Digest& sha256);
  Status RecordBlob(const platform::Digest& sha256);
  // Forgets that the remote holds a blob (it answered that it does not).
  Status ForgetBlob(const platform::Digest& sha256);

  // The server epoch the remote's ledger belongs to; nullopt before the first push.
  Result<std::optional<std::string>> Epoch();
  Status SetEpoch(std::string_view epoch, int64_t now_ms);
  // Forgets everything the remote acknowledged: its ledger, blobs and
  // collection tokens (the
  // server lost its data: its acknowledgements no longer hold).
  Status Clear();

  // A recovery in progress, kept so that a killed one resumes.
  Result<std::optional<RecoveryState>> Recovery();
  Status SetRecovery(const std::optional<RecoveryState>& state);
  Status SetRecoveryProgress(std::string_view progress);
  // The last operator re-upload request carried out ("" if none).
  Result<std::string> ReuploadDone();
  Status SetReuploadDone(std::string_view id);
  Status AddRecoveryRecord(const RecoveryRecord& record);
  Result<std::optional<RecoveryRecord>> LastRecoveryRecord();

 private:
  VaultConnection* conn_;
  std::string remote_;
};

}  // namespace holdfast::storage
