// What the sync engine (agent/sync/sync_engine.h) needs from a server, and
// nothing about how a server is spoken to. The Holdfast protocol
// (agent/sync/holdfast_backend.h, docs/protocol.md) is the first
// implementation; a CalDAV/CardDAV/WebDAV backend (issue 14) is meant to be
// the second, so each call says below how such a server would answer it.
//
// The one rule every implementation keeps: an answer it could not get or
// could not read is an error, never an empty result. Unreachable, timed
// out, 5xx after the retries, 401/403 (kAuthFailed), a refused certificate
// (kTlsFailure), an answer outside the protocol (kServerError): all of them
// mean "unknown". A backend never turns one into "no collections", "no
// items" or "gone"; only the server's own, well-formed statement that a
// collection does not exist is reported as gone (CollectionGone below).
//
// Names: collection ids come from CollectionId; items are named on the
// server by ItemName(uid) (one-to-one with the vault's uid bytes). Digests
// are SHA-256 in lower-case hex of the item's bytes as the vault holds them.
//
// Calls come in two kinds. Synchronous ones (ReadState, ListInventory,
// ReadItem, RemoveItem, BlobHeld) return their answer. Asynchronous ones
// (EnsureCollection, UploadBlob, WriteBatch) queue work and report through
// their callback, which runs inside Run(); callbacks may queue more. The
// engine keeps at most max_in_flight() asynchronous calls outstanding.
// Not thread-safe: one backend per command, used from one thread. Nothing
// here touches the vault: what the server acknowledged is recorded by the
// engine, and only after the callback said so.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/sha256.h"
#include "platform/status.h"
#include "storage/ledger.h"
#include "storage/vault.h"

namespace holdfast::agent {

// A cheap fingerprint of a collection's content that a server keeps and
// the engine can compute from its ledger: equal fingerprints mean the
// server holds exactly what was acknowledged (Holdfast: item count and the
// digest of docs/protocol.md). A backend whose servers keep none (DAV: a
// CTag or sync token says "changed", not "what") gives none, and the engine
// lists the inventory instead.
struct CollectionSummary {
  int64_t items = 0;
  std::string digest;
  bool operator==(const CollectionSummary&) const = default;
};

// An operator's request that every device upload everything again, each at
// its own moment in [not_before_ms, not_before_ms + spread_ms).
struct ReuploadRequestInfo {
  std::string id;
  int64_t not_before_ms = 0;
  int64_t spread_ms = 0;
};

// What a server says about itself, read in one call.
struct RemoteState {
  // The identity of the server's store. A different epoch than the ledger's
  // means the server lost or replaced everything it acknowledged. (DAV: the
  // backend derives one, e.g. from the home set's resource ids or a marker
  // file it keeps; a wiped store must show as a new epoch or as collections
  // gone.)
  std::string epoch;
  struct Collection {
    std::string id;
    std::optional<CollectionSummary> summary;  // absent: the server gave none for it
    // The server's change markers for it (DAV: its sync token and CTag, read
    // in the same listing); absent when it gave neither. Detection records
    // them once it found the collection healthy and, while the server gives
    // exactly the recorded ones again, trusts them without listing the
    // inventory (check.h). Only equality with the LAST recorded value
    // counts: an older copy of the store brings back an older CTag.
    std::optional<storage::CollectionTokens> tokens = std::nullopt;
  };
  std::vector<Collection> collections;  // every collection the server holds for this device
  // Entries of the listing the backend could not read (no id): the listing
  // is then not a complete answer, and detection says "unknown".
  size_t unreadable_collections = 0;
  std::optional<ReuploadRequestInfo> reupload;  // Holdfast's operator request; DAV: never
  std::string source;  // where the state was read, for messages ("GET /state")
};

// One item in a write batch: its uid (vault bytes) and digest, and its bytes
// inline unless the backend wanted them as a blob (NeedsBlob), uploaded
// before the batch that refers to them.
struct ItemWrite {
  std::string uid;
  platform::Digest sha256{};
  bool as_blob = false;
  std::string content;  // empty when as_blob
  // Whether the server acknowledged an earlier content of this item, and its
  // version token for it (BatchOutcome::put_versions; "" when it gave none).
  // A DAV backend sends If-Match with it, or If-None-Match: * for an item
  // the server never acknowledged; the Holdfast protocol ignores both.
  bool replaces = false;
  std::string if_match;
  // Whether the server's copy `held` of this item is an earlier content this
  // device had for it (one of the vault's revisions other than the current
  // one): an older copy of the server's store put back. A backend that
  // meets another version where it expected its own (DAV: a 412) overwrites
  // it only when this says so, and with a precondition on exactly that
  // version; otherwise it refuses. Empty: never. Called inside Run().
  std::function<bool(std::string_view held)> earlier = nullptr;
};

// One deletion: the uid, and the version token the server acknowledged for
// what it holds ("" when none was kept): a DAV backend deletes only that.
struct ItemDelete {
  std::string uid;
  std::string if_match;
};

// The server's answer to a batch, entry by entry in the order sent.
struct BatchOutcome {
  enum class Put { kStored, kUnchanged, kMissingBlob, kRefused };
  enum class Delete { kDeleted, kRefused };
  // The collection does not exist on the server (any more): nothing of the
  // batch was acknowledged. The other fields are then empty.
  bool collection_gone = false;
  std::vector<Put> puts;
  std::vector<std::string> put_reasons;  // for kRefused: the server's word ("no status" when it gave none)
  // Per put, the server's version token for what it stored (a DAV ETag);
  // empty, or "" for an entry, when it gave none: the ledger then names the
  // content by its SHA-256, as the Holdfast protocol does.
  std::vector<std::string> put_versions;
  std::vector<Delete> deletes;
  std::vector<std::string> delete_reasons;
};

// A collection's items as the server lists them: item name -> the server's
// version token for it: the SHA-256 hex of its bytes (Holdfast), or its
// ETag (DAV). Detection compares it with the ledger's token for the item
// (LedgerEntry::version, else the SHA-256 hex of what was acknowledged).
struct Inventory {
  bool collection_gone = false;  // the server says the collection does not exist; `items` is empty
  std::map<std::string, std::string> items;
};

// Reads a blob's bytes in pieces: appends up to `max_bytes` from `offset`
// to `out`. An error ends the upload with that error.
using ContentReader = std::function<Status(uint64_t offset, uint64_t max_bytes, std::string* out)>;

class RemoteBackend {
 public:
  virtual ~RemoteBackend() = default;

  // The remote's name in the config: the ledger's key and what messages say.
  virtual const std::string& name() const = 0;
  // How many asynchronous calls may be outstanding at once (>= 1).
  virtual int max_in_flight() const = 0;
  // Requests sent again after a transient failure, so far.
  virtual int64_t retries() const = 0;
  // The wait the server asked for in its last answer that carried a
  // Retry-After (429, 503), in ms; nullopt when none did. The agent waits at
  // least this long before it tries again after a failed run.
  virtual std::optional<int64_t> RetryAfterMs() const = 0;

  // ---- Identity and collections.

  // The server's state: epoch, collections, an operator's request.
  // Errors: all of them mean unknown (see the top). Idempotent, read-only.
  // (DAV: discovery, then PROPFIND Depth 1 on the home sets.)
  virtual Result<RemoteState> ReadState() = 0;

  // The id `collection` has on this server, the same on every run and every
  // device that has a collection of that source and name. Pure.
  virtual std::string CollectionId(const storage::CollectionInfo& collection) const = 0;

  // The summary the server would give for a collection holding exactly
  // `acknowledged` (items not deleted, with their digests); nullopt when this
  // backend's servers keep no summary. Pure.
  virtual std::optional<CollectionSummary> SummaryOf(const std::vector<storage::LedgerEntry>& acknowledged) const = 0;

  // Makes sure the collection exists with the collection's kind and name;
  // `done` gets OK once it does. Idempotent. kInvalidArgument means this
  // server cannot hold this collection (no address book on a plain WebDAV
  // server, no photo folder configured, a mapped calendar of another
  // component): the push reports it and goes on with the others; any other
  // error is unknown, as above. (DAV: MKCOL / MKCALENDAR with
  // the component set, or MKCOL for a photo folder.)
  virtual void EnsureCollection(const storage::CollectionInfo& collection, std::function<void(Status)> done) = 0;

  // ---- Blobs: large content sent on its own, resumably, before the items
  // that refer to it.

  // Whether an item's content goes as a blob (`in_blob`: the vault keeps it
  // in its blob store). A backend without a blob store (DAV) answers false
  // and takes every item's bytes inline. Pure.
  virtual bool NeedsBlob(uint64_t size_bytes, bool in_blob) const = 0;

  // Whether the server holds the blob complete. Errors: unknown, as above.
  virtual Result<bool> BlobHeld(const platform::Digest& sha256, uint64_t size_bytes) = 0;

  // Makes the server hold the blob complete: resumes where the server's copy
  // ends, costs one request when it has it all. `read` gives its bytes;
  // `sent` is told of each piece the server took (bytes); `done` gets OK
  // once the blob is complete, or the error that ended it. Idempotent.
  virtual void UploadBlob(const platform::Digest& sha256, uint64_t size_bytes, ContentReader read,
                          std::function<void(int64_t bytes)> sent, std::function<void(Status)> done) = 0;

  // ---- Items.

  // The most entries, and inline bytes, one WriteBatch should carry.
  virtual size_t max_batch_entries() const = 0;
  virtual size_t max_batch_inline_bytes() const = 0;

  // Stores `puts` and deletes `deletes` (uids) in one collection. `done`
  // gets the outcome entry by entry, or an error when the answer as a whole
  // is unknown (then nothing of the batch counts as acknowledged). Writing
  // the same content again answers kUnchanged; deleting what is absent,
  // kDeleted. (DAV: PUT with If-None-Match / If-Match, DELETE with If-Match,
  // several at once; a 412 is settled by reading the server's version:
  // the same content is acknowledged, another one is kRefused with its
  // reason; docs/dav.md, "Conflicts".)
  virtual void WriteBatch(const std::string& collection_id, std::vector<ItemWrite> puts,
                          std::vector<std::string> deletes, std::function<void(Result<BatchOutcome>&&)> done) = 0;

  // WriteBatch with each deletion's version token; a backend that uses the
  // tokens (DAV: DELETE with If-Match) overrides it. Same contract.
  virtual void WriteChanges(const std::string& collection_id, std::vector<ItemWrite> puts,
                            std::vector<ItemDelete> deletes, std::function<void(Result<BatchOutcome>&&)> done) {
    std::vector<std::string> uids;
    uids.reserve(deletes.size());
    for (ItemDelete& d : deletes) uids.push_back(std::move(d.uid));
    WriteBatch(collection_id, std::move(puts), std::move(uids), std::move(done));
  }

  // Deletes one item by the name ListInventory gave; absent is success.
  // Errors: unknown, as above.
  virtual Status RemoveItem(const std::string& collection_id, const std::string& item_name) = 0;

  // ---- Reading back.

  // The name an item with `uid` has on the server: the key of an inventory.
  virtual std::string ItemName(std::string_view uid) const = 0;

  // Every item of the collection, all pages. A listing that would not end or
  // breaks its own order is kServerError. Errors: unknown, as above; a
  // collection the server says it lacks is `collection_gone`, not an error.
  // (DAV: PROPFIND Depth 1 with getetag, or sync-collection; digests come
  // from the ledger's record of each ETag, or from reading the item.)
  virtual Result<Inventory> ListInventory(const std::string& collection_id) = 0;

  // The same listing as ListInventory, a page at a time, so that memory
  // holds one page: `visit` gets each page's items (name -> token); its
  // error stops the listing. Answers true when the collection is gone (the
  // pages visited before it said so, if any, stand for nothing). Errors: ListInventory's. The default lists the
  // whole inventory as one page.
  virtual Result<bool> ForEachInventoryPage(const std::string& collection_id,
                                            const std::function<Status(std::map<std::string, std::string>&&)>& visit) {
    Result<Inventory> all = ListInventory(collection_id);
    if (!all) return all.error();
    if (all->collection_gone) return true;
    HF_RETURN_IF_ERROR(visit(std::move(all->items)));
    return false;
  }

  // One item's bytes as the server holds them; nullopt if it holds none.
  // Errors: unknown, as above. (DAV: GET, or a multiget for many.)
  virtual Result<std::optional<std::string>> ReadItem(const std::string& collection_id,
                                                      const std::string& item_name) = 0;

  // Several items' bytes at once: name -> bytes for each item of
  // `item_names` the server holds (absent: it holds none). Errors: unknown,
  // as above. (DAV: addressbook-multiget / calendar-multiget.) The default
  // reads them one by one.
  virtual Result<std::map<std::string, std::string>> ReadItems(const std::string& collection_id,
                                                               const std::vector<std::string>& item_names) {
    std::map<std::string, std::string> out;
    for (const std::string& name : item_names) {
      Result<std::optional<std::string>> held = ReadItem(collection_id, name);
      if (!held) return held.error();
      if (held->has_value()) out.emplace(name, std::move(**held));
    }
    return out;
  }
  // The most names one ReadItems call on `collection_id` should carry
  // (>= 1): what memory may hold at once.
  virtual size_t max_read_batch(const std::string& collection_id) const {
    (void)collection_id;
    return 1;
  }

  // Whether the server still knows `sync_token`, a token it gave earlier for
  // the collection. false: it says it does not (DAV: REPORT sync-collection
  // from it answers 403/409 with valid-sync-token, or the 500 Xandikos
  // gives): the store was reset or replaced by another copy. Never a sign
  // that the collection is empty or gone: detection then lists the whole
  // inventory. Errors: unknown, as above. Backends without sync tokens: true.
  virtual Result<bool> KnowsSyncToken(const std::string& collection_id, const std::string& sync_token) {
    (void)collection_id;
    (void)sync_token;
    return true;
  }

  // Whether read-back must fetch every item and compare its content
  // (SameContent): true where an inventory's tokens do not name the content
  // (DAV: ETags). The Holdfast protocol's tokens are SHA-256: false.
  virtual bool ReadBackContent() const { return false; }
  // Whether the server's copy `held` of an item stands for the vault's
  // `vault_bytes`, in the collection `collection_id`: equal bytes here; DAV
  // compares after normalising what servers rewrite (docs/dav.md). Pure.
  virtual bool SameContent(const std::string& collection_id, std::string_view vault_bytes,
                           std::string_view held) const {
    (void)collection_id;
    return vault_bytes == held;
  }
  // Whether other clients may write to the collections (DAV: a shared
  // address book): read-back then deletes on the server only items named
  // after a uid the vault knows, never another writer's.
  virtual bool SharedCollections() const { return false; }

  // Runs queued asynchronous calls until none is left. Errors: kInternal
  // (the transport itself failed; each call's own errors go to its callback).
  virtual Status Run() = 0;
};

}  // namespace holdfast::agent
