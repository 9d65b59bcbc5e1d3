// CalDAV, CardDAV and WebDAV servers (docs/dav.md) as a RemoteBackend: the
// only code that builds DAV requests for the agent. One HttpClient per
// command (connections reused where the server allows it), HTTP Basic when
// the remote has a user, the TLS rules of every remote (config.h).
//
// What DAV makes of the contract in remote_backend.h:
//   - discovery: PROPFIND Depth 0 on the configured URL for
//     current-user-principal and the addressbook/calendar home sets; a 3xx
//     (RFC 6764 /.well-known answers) is followed; the principal is asked
//     for its home sets; a URL that names none is itself the home of both.
//   - collections: one per vault collection, called CollectionId
//     ("holdfast-KIND-<32 hex>") under its home set: an address book by
//     extended MKCOL (RFC 5689), a calendar by MKCALENDAR with the component
//     set of its kind (VEVENT, VTODO, VJOURNAL), photos by MKCOL under the
//     remote's photos_url. A 405 (it exists) counts as created. A
//     collection mapped by `remote map` (RemoteConfig::collections) is at
//     its URL instead: made the same way when absent, else it must be an
//     address book, or a calendar whose supported-calendar-component-set
//     holds the kind's component (kInvalidArgument before anything is
//     sent); a calendar mapped for several kinds lists, as each kind's
//     items, the members holding that kind's component (docs/dav.md).
//   - epoch: the constant "dav". DAV servers keep no identity of their
//     store; a wipe shows as collections missing from the PROPFIND Depth 1
//     of the home sets (404 or absent: "collection gone") or as acknowledged
//     items missing from an inventory, or listed with another ETag.
//   - items: named by ItemName: the uid itself when it is 1..200 bytes of
//     A-Z a-z 0-9 . _ ~ @ + - (and not "." or ".."), else "hf-" and the
//     SHA-256 hex of the uid's bytes: the same on every run and every rebuilt
//     vault. PUT with If-None-Match: * for an item this remote never
//     acknowledged, If-Match with the acknowledged ETag for a change;
//     DELETE with If-Match. A 412 is settled by a GET of the server's
//     version (docs/dav.md, "Conflicts"): the same item by SameContent is
//     acknowledged with the server's ETag (a push killed before the vault
//     recorded it), another one is kRefused and never overwritten or
//     deleted; a 404 there is one more PUT with If-None-Match: * (a DELETE:
//     deleted); a GET that fails fails the batch as unknown. Other 4xx are
//     kRefused with the status; 401/403 fail the batch as kAuthFailed; 5xx,
//     transport failures and timeouts fail it as unknown.
//   - change markers: ReadState asks the home sets' listing for each
//     collection's getctag and sync-token (RemoteState::Collection::tokens);
//     KnowsSyncToken sends REPORT sync-collection from a recorded token
//     (207: known; 403/409 valid-sync-token, or Xandikos's 500: not known).
//     Inventories stay a PROPFIND Depth 1 (docs/dav.md, "Detection").
//   - an older copy put back: a 412 whose GET finds an earlier content this
//     device had for the item (ItemWrite::earlier) is overwritten by one
//     PUT with If-Match on the ETag that GET gave; a second 412 is refused.
//   - version tokens: the ETag's opaque text (weakness dropped) from the
//     PUT answer is the item's version in the ledger, and inventories map
//     name -> the same text from getetag. No blob store: NeedsBlob is false.
//   - photos (docs/dav.md, "Photos"): a folder tree under the collection,
//     one folder per segment of the photo's relative path (MKCOL, once per
//     run; 405 = exists), each segment its own name unless it cannot be one
//     ("~hf" + hex then). Plain WebDAV servers give no ETag in the PUT
//     answer and nginx ignores If-None-Match / If-Match, so each photo PUT
//     is preceded by a PROPFIND Depth 0 of its name (absent: PUT; the
//     acknowledged version: PUT; anything else: GET, the same SHA-256 is
//     acknowledged, other bytes are refused, never overwritten) and followed
//     by one for its version token and size. The token is the getetag text,
//     else "modified <getlastmodified> size <getcontentlength>"; inventories
//     walk the tree (PROPFIND Depth 1 per folder) and give the same tokens.
//   - contacts and calendars on a server without CardDAV/CalDAV (MKCOL
//     415/501, or a 405 for something that is no address book or calendar):
//     a kServerError that says so.
//   - read-back fetches every item and compares with SameContent:
//     platform::dav::SameCard for vCards and iCalendar, SHA-256 for photos.
//     vCards and calendar items come 100 at a time by addressbook-multiget /
//     calendar-multiget (RFC 6352, RFC 4791); photos, and every item of a
//     server that does not answer a multiget with a 207 holding the data, by
//     GET.
//   - retries: RetryingHttp (transport failures, 408, 429, 502-504).
//   - collections are shared (SharedCollections): read-back never deletes an
//     item named after no uid of the vault.
//   - detection: the home-set listing asks each collection for its sync
//     token and CTag; equal to those recorded (Ledger::Tokens), it is not
//     listed; a sync token the server no longer knows (KnowsSyncToken) is
//     reported as a store reset or replaced, never as "empty".
// Not done yet (issue 14): a photo DELETE on a server without ETags goes
// without a precondition.
// Not thread-safe; callbacks run inside Run().
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/config.h"
#include "agent/sync/remote_backend.h"
#include "agent/sync/remote_client.h"
#include "agent/sync/retrying_http.h"
#include "platform/http_client.h"

namespace holdfast::platform::dav {
struct Properties;
}  // namespace holdfast::platform::dav

namespace holdfast::agent {

class DavBackend final : public RemoteBackend {
 public:
  // Reads the password (ReadPassword) and sets up HTTP. No request is sent.
  // Errors: those of ReadPassword; kInternal from libcurl.
  static Result<std::unique_ptr<DavBackend>> Connect(const RemoteConfig& remote, const RemoteOptions& options);

  const std::string& name() const override { return remote_.name; }
  int max_in_flight() const override { return 2; }
  int64_t retries() const override { return http_->retries(); }
  std::optional<int64_t> RetryAfterMs() const override { return http_->retry_after_ms(); }

  Result<RemoteState> ReadState() override;
  std::string CollectionId(const storage::CollectionInfo& collection) const override;
  std::optional<CollectionSummary> SummaryOf(const std::vector<storage::LedgerEntry>&) const override {
    return std::nullopt;
  }
  void EnsureCollection(const storage::CollectionInfo& collection, std::function<void(Status)> done) override;

  bool NeedsBlob(uint64_t, bool) const override { return false; }
  Result<bool> BlobHeld(const platform::Digest&, uint64_t) override;
  void UploadBlob(const platform::Digest& sha256, uint64_t size_bytes, ContentReader read,
                  std::function<void(int64_t bytes)> sent, std::function<void(Status)> done) override;

  size_t max_batch_entries() const override { return 50; }
  size_t max_batch_inline_bytes() const override { return size_t{8} << 20; }
  void WriteBatch(const std::string& collection_id, std::vector<ItemWrite> puts, std::vector<std::string> deletes,
                  std::function<void(Result<BatchOutcome>&&)> done) override;
  void WriteChanges(const std::string& collection_id, std::vector<ItemWrite> puts, std::vector<ItemDelete> deletes,
                    std::function<void(Result<BatchOutcome>&&)> done) override;
  Status RemoveItem(const std::string& collection_id, const std::string& item_name) override;

  std::string ItemName(std::string_view uid) const override;
  Result<Inventory> ListInventory(const std::string& collection_id) override;
  Result<std::optional<std::string>> ReadItem(const std::string& collection_id, const std::string& item_name) override;
  Result<std::map<std::string, std::string>> ReadItems(const std::string& collection_id,
                                                       const std::vector<std::string>& item_names) override;
  // 100 vCards or calendar items (one multiget), 4 photos (GETs at once).
  size_t max_read_batch(const std::string& collection_id) const override;
  // GET of each item, several at once (photos, and servers without multiget).
  Result<std::map<std::string, std::string>> GetEach(const std::string& collection_id,
                                                     const std::vector<std::string>& item_names);
  Result<bool> KnowsSyncToken(const std::string& collection_id, const std::string& sync_token) override;

  bool ReadBackContent() const override { return true; }
  bool SameContent(const std::string& collection_id, std::string_view vault_bytes,
                   std::string_view held) const override;
  bool SharedCollections() const override { return true; }

  Status Run() override { return http_->RunUntilIdle(); }

 private:
  DavBackend(RemoteConfig remote, std::string auth_header, std::unique_ptr<RetryingHttp> http)
      : remote_(std::move(remote)), auth_header_(std::move(auth_header)), http_(std::move(http)) {}
  platform::HttpRequest Request(std::string method, std::string url, std::string body = "",
                                std::vector<std::string> headers = {}) const;
  Status Discover();
  // The URL of a collection id ("" when its home is unknown), ending in '/':
  // the mapped URL (`remote map`) when there is one, else under its home.
  Result<std::string> CollectionUrl(const std::string& collection_id);
  // The mapping (RemoteConfig::collections) of a collection id, or null.
  const CollectionMapping* MappingOf(const std::string& collection_id) const;
  // EnsureCollection for a mapped URL: PROPFIND Depth 0 first; what exists
  // must be of the kind (an address book, a calendar whose
  // supported-calendar-component-set holds the kind's component); what does
  // not is made as an unmapped collection would be.
  void EnsureMapped(const storage::CollectionInfo& collection, const std::string& url,
                    std::function<void(Status)> done);
  void MakeCollection(const storage::CollectionInfo& collection, const std::string& url,
                      std::function<void(Status)> done);
  // ListInventory's last step: for a calendar mapped for several kinds,
  // only the members holding this kind's component (each read by GET).
  Result<Inventory> KeepOwnComponent(const std::string& collection_id, const std::string& url, Inventory inventory);

  // One PUT of a batch, kept until its answer is settled (a 412 may need a
  // GET and one more PUT).
  struct PutWrite {
    std::string collection_id;
    std::string uid;
    std::string url;
    const char* content_type = nullptr;
    std::string content;
    bool replaces = false;
    std::string if_match;
    bool retried = false;  // the PUT was sent again after a 412 and a 404
    // Photos: the parent folders to make first (URLs, outermost first), and
    // whether the name was looked up before the PUT (plain WebDAV servers
    // may ignore If-None-Match / If-Match: docs/dav.md, "Photos").
    bool photo = false;
    std::vector<std::string> folders;
    bool looked_up = false;
    std::function<bool(std::string_view)> earlier;  // ItemWrite::earlier
    bool overwrote = false;  // sent again with If-Match on an earlier content the server held
  };
  // What became of it: an error (unknown), the collection gone, or `put`.
  struct PutAnswer {
    Status error;
    bool collection_gone = false;
    BatchOutcome::Put put = BatchOutcome::Put::kStored;
    std::string reason;
    std::string version;
  };
  // Submits the PUT; `done` runs inside Run() once its answer is settled.
  void SubmitPut(std::shared_ptr<PutWrite> write, std::function<void(PutAnswer&&)> done);
  // After a 412 on PUT: GET the server's version and decide (docs/dav.md,
  // "Conflicts"): the same item is acknowledged with the server's ETag,
  // another one is refused, a 404 is one more PUT with If-None-Match: *,
  // a GET that fails is an error (unknown), never "stored".
  void ResolvePutConflict(std::shared_ptr<PutWrite> write, std::function<void(PutAnswer&&)> done);
  // The item is absent where a version was expected (deleted meanwhile):
  // the PUT once more, with If-None-Match: *, marked as retried.
  void PutAsNew(std::shared_ptr<PutWrite> write, std::function<void(PutAnswer&&)> done);
  // Photos: MKCOL of write->folders from `next` on (each once per run),
  // then LookUpPhoto.
  void MakeFolders(std::shared_ptr<PutWrite> write, size_t next, std::function<void(PutAnswer&&)> done);
  // Photos, before the PUT: what the server holds at the name decides
  // whether the PUT may go (absent; or the version this device
  // acknowledged) or the item is settled without one (the same bytes:
  // acknowledged; other bytes: refused, never overwritten).
  void LookUpPhoto(std::shared_ptr<PutWrite> write, std::function<void(PutAnswer&&)> done);
  // Photos: PROPFIND Depth 0 of write->url (`what` names the request in
  // errors), its answer read by ItemProperties: `then` gets the properties
  // (nullopt when the server holds nothing there) with `done`; an error
  // (the body, the request, the answer) goes to `done` instead.
  void ReadPhotoProperties(
      std::shared_ptr<PutWrite> write, std::string what, std::function<void(PutAnswer&&)> done,
      std::function<void(std::optional<platform::dav::Properties>&&, std::function<void(PutAnswer&&)>&&)> then);
  // Photos: GET the server's bytes; the same SHA-256 as write->content is
  // acknowledged as `same` (with LearnVersion), others are refused.
  void ComparePhoto(std::shared_ptr<PutWrite> write, BatchOutcome::Put same, std::string why_read,
                    std::function<void(PutAnswer&&)> done);
  // Photos, after a PUT (or once the server's bytes were found the same):
  // PROPFIND Depth 0 for the version token (VersionOf in the .cc, the one
  // ListInventory gives) and the size, which must be the bytes sent.
  void LearnVersion(std::shared_ptr<PutWrite> write, BatchOutcome::Put put, std::function<void(PutAnswer&&)> done);
  // Photos: the collection's folder tree, walked by PROPFIND Depth 1.
  Result<Inventory> ListPhotoTree(const std::string& collection_id, const std::string& url);
  // The URL of an item named `item_name` (ItemName) in a collection: for
  // photos the one the last ListInventory found, else the flat name.
  std::string ItemUrl(const std::string& collection_id, const std::string& collection_url,
                      const std::string& item_name) const;

  RemoteConfig remote_;
  std::string auth_header_;
  std::unique_ptr<RetryingHttp> http_;  // every request goes through its retries
  bool discovered_ = false;
  // The server answered a multiget with other than 207, or without the data:
  // GET from then on.
  bool multiget_refused_ = false;
  std::string addressbook_home_;  // absolute URLs ending in '/'
  std::string calendar_home_;
  std::set<std::string> folders_made_;  // photo folders made or found this run
  // Item URL -> the ETag (Token) the last PUT of this device's content there
  // was answered with, this run: a 412 whose GET shows that ETag met the
  // server's own rewrite of what was sent, not another client's change.
  std::map<std::string, std::string> stored_versions_;
  bool SentHere(const PutWrite& write, const std::string& version) const {
    if (version.empty()) return false;
    if (version == write.if_match) return true;
    auto it = stored_versions_.find(write.url);
    return it != stored_versions_.end() && it->second == version;
  }
  // Photo collections: item name (ItemName of the uid) -> the URL the last
  // ListInventory found it at.
  std::map<std::string, std::map<std::string, std::string>> photo_urls_;
};

}  // namespace holdfast::agent
