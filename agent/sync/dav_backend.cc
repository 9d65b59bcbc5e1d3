#include "agent/sync/dav_backend.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <set>

#include "agent/sync/holdfast_backend.h"  // RemoteCollectionId
#include "platform/dav/content_compare.h"
#include "platform/dav/etag.h"
#include "platform/dav/href.h"
#include "platform/dav/multistatus.h"
#include "platform/dav/request_body.h"
#include "platform/pim/content_line.h"  // EqualsIgnoreCase
#include "platform/sha256.h"

namespace holdfast::agent {
namespace {

namespace dav = platform::dav;
using platform::HttpResponse;
using storage::ItemKind;

constexpr std::string_view kIdPrefix = "holdfast-";
constexpr const char* kXml = "Content-Type: application/xml; charset=utf-8";
constexpr int kMaxRedirects = 3;

std::string WithSlash(std::string url) {
  if (url.empty() || url.back() != '/') url.push_back('/');
  return url;
}

// The kind a collection id names ("holdfast-contact-..."), or nullopt.
std::optional<ItemKind> KindOfId(std::string_view id) {
  if (id.substr(0, kIdPrefix.size()) != kIdPrefix) return std::nullopt;
  id.remove_prefix(kIdPrefix.size());
  const std::string_view kind = id.substr(0, id.find('-'));
  for (ItemKind k : storage::kAllItemKinds) {
    if (kind == storage::ItemKindName(k)) return k;
  }
  return std::nullopt;
}

// An answer that is not the one expected, as the error it means: refused
// credentials, the server failing, or an answer outside the protocol.
Status AnswerStatus(const HttpResponse& r, const std::string& what) {
  if (!r.transport.ok()) return r.transport.WithContext(what);
  const std::string status = what + ": HTTP " + std::to_string(r.status);
  if (r.status == 401 || r.status == 403) return Status(ErrorCode::kAuthFailed, status + " (credentials refused)");
  if (r.status >= 500) return Status(ErrorCode::kServerError, status + " (the server failed)");
  return Status(ErrorCode::kServerError, status + " (an answer outside the protocol)");
}

// The version token of an ETag: its opaque text (a weak tag read right after
// a PUT and its strong form later name the same version).
std::string Token(const std::optional<std::string>& etag) {
  if (!etag) return "";
  Result<dav::EntityTag> tag = dav::ParseEntityTag(*etag);
  return tag ? tag->opaque : "";
}

// The iCalendar component items of a calendar kind are, or nullptr.
const char* ComponentOf(ItemKind kind) {
  switch (kind) {
    case ItemKind::kEvent: return "VEVENT";
    case ItemKind::kTask: return "VTODO";
    case ItemKind::kNote: return "VJOURNAL";
    case ItemKind::kContact:
    case ItemKind::kPhoto: break;
  }
  return nullptr;
}

// Whether the collection found at a mapped URL can hold items of `kind`: an
// address book for contacts; a calendar whose
// supported-calendar-component-set (absent: any, RFC 4791 5.2.3) holds the
// kind's component. Errors: kInvalidArgument naming the URL and what it takes.
Status MappedKindProblem(const std::string& remote_name, ItemKind kind, const std::string& collection_name,
                         const std::string& url, const dav::Properties& found) {
  const char* component = ComponentOf(kind);
  const std::string refused =
      "remote '" + remote_name + "': the collection mapped to " + platform::RedactUrl(url) + " ";
  if (kind == ItemKind::kContact && !found.addressbook) {
    return Status(ErrorCode::kInvalidArgument, refused + "is not an address book: contacts need one (remote map)");
  }
  if (component == nullptr) return Status::Ok();
  if (!found.calendar) {
    return Status(ErrorCode::kInvalidArgument, refused + "is not a calendar: " + storage::ItemKindName(kind) +
                                                   " items need one that takes " + component + " (remote map)");
  }
  if (!found.components) return Status::Ok();
  std::string listed;
  for (const std::string& c : *found.components) {
    if (c == component) return Status::Ok();
    listed += (listed.empty() ? "" : " ") + c;
  }
  return Status(ErrorCode::kInvalidArgument,
                refused + "takes only " + (listed.empty() ? "no component" : listed) +
                    " (supported-calendar-component-set), not " + component + " for " + storage::ItemKindName(kind) +
                    " collection '" + collection_name + "': map it to a calendar that takes " + component);
}

std::string MappedId(const CollectionMapping& m) {
  storage::CollectionInfo info;
  info.kind = ItemKindOf(m.kind);
  info.name = m.collection;
  info.source = m.source;
  return std::string(kIdPrefix) + storage::ItemKindName(info.kind) + "-" + RemoteCollectionId(info);
}

const char* ContentTypeOf(ItemKind kind) {
  switch (kind) {
    case ItemKind::kContact: return "Content-Type: text/vcard; charset=utf-8";
    case ItemKind::kEvent:
    case ItemKind::kTask:
    case ItemKind::kNote: return "Content-Type: text/calendar; charset=utf-8";
    case ItemKind::kPhoto: break;
  }
  return "Content-Type: application/octet-stream";
}

// The resource name of a vCard or calendar item on the server: its item name
// (ItemName) and the extension of its type. Servers and other clients go by
// it: Xandikos 0.2.8 takes a resource without ".vcf" / ".ics" for
// application/octet-stream, lists it so, and leaves it out of
// calendar-query and out of a multiget's data (measured; docs/dav.md).
std::string ResourceName(ItemKind kind, std::string_view item_name) {
  return std::string(item_name) + (kind == ItemKind::kContact ? ".vcf" : ".ics");
}

// The item name a listed resource stands for: its name without the
// extension ResourceName adds; other names (another client's) as they are.
std::string ItemNameOfResource(ItemKind kind, std::string_view resource) {
  const std::string_view ext = kind == ItemKind::kContact ? ".vcf" : ".ics";
  if (resource.size() > ext.size() && resource.substr(resource.size() - ext.size()) == ext) {
    resource.remove_suffix(ext.size());
  }
  return std::string(resource);
}

// The path of an absolute URL ("http://h:1/a/b" -> "/a/b"): the href a
// multiget names a member by.
std::string UrlPath(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return path == std::string::npos ? "/" : url.substr(path);
}

// A version token from an item's PROPFIND properties, the same whether the
// PUT path or ListInventory reads them: the ETag's opaque text when the
// server gives getetag (Apache: "size-mtime" in microseconds, weak or not),
// else "modified <getlastmodified> size <getcontentlength>" (nginx dav_ext,
// which lists no getetag). The second form holds blanks, so it can never be
// an entity tag and is never sent as If-Match. "" when neither is given.
std::string VersionOf(const dav::Properties* p) {
  if (p == nullptr) return "";
  std::string tag = Token(p->etag);
  if (!tag.empty()) return tag;
  if (p->last_modified && !p->last_modified->empty() && p->content_length) {
    return "modified " + *p->last_modified + " size " + std::to_string(*p->content_length);
  }
  return "";
}

// Whether a version token is an entity tag's text (If-Match can carry it).
bool IsEntityTagText(const std::string& token) {
  return !token.empty() && static_cast<bool>(dav::ParseEntityTag("\"" + token + "\""));
}

// ---- Photos: a folder tree under the collection (docs/dav.md, "Photos").
// A photo's uid is its path relative to the source folder ('/'-separated
// bytes); each segment becomes one resource name, itself when it can be one
// (1..255 bytes, not "." or "..", no NUL, not starting with the escape
// mark), else the mark and the segment's bytes in hex. Both ways are
// reversible, so an inventory gives back each file's uid.
constexpr std::string_view kEscapeMark = "~hf";
constexpr size_t kMaxSegmentBytes = 255;
constexpr size_t kMaxPhotoDepth = 64;
constexpr size_t kMaxPhotoFolders = 100000;

std::optional<std::string> BytesOfHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = value(hex[i]);
    const int lo = value(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string PhotoSegment(std::string_view segment) {
  const bool name = !segment.empty() && segment.size() <= kMaxSegmentBytes && segment != "." && segment != ".." &&
                    segment.find('\0') == std::string_view::npos && segment.substr(0, kEscapeMark.size()) != kEscapeMark;
  if (name) return std::string(segment);
  return std::string(kEscapeMark) + platform::HexOf(segment);
}

std::string UidSegment(std::string_view name) {
  if (name.substr(0, kEscapeMark.size()) == kEscapeMark) {
    if (std::optional<std::string> bytes = BytesOfHex(name.substr(kEscapeMark.size()))) return *bytes;
  }
  return std::string(name);
}

// Where a photo goes: its URL, and the folders above it (outermost first).
struct PhotoPlace {
  std::string url;
  std::vector<std::string> folders;
};

PhotoPlace PhotoPlaceOf(const std::string& collection_url, std::string_view uid) {
  PhotoPlace place;
  std::string folder = WithSlash(collection_url);
  size_t slash;
  while ((slash = uid.find('/')) != std::string_view::npos) {
    folder = dav::MemberUrl(folder, PhotoSegment(uid.substr(0, slash))) + "/";
    place.folders.push_back(folder);
    uid.remove_prefix(slash + 1);
  }
  place.url = dav::MemberUrl(folder, PhotoSegment(uid));
  return place;
}

Result<std::string> PhotoPropfindBody() {
  static constexpr dav::PropName kProps[] = {dav::kGetEtag, dav::kGetLastModified, dav::kGetContentLength,
                                             dav::kResourceType};
  return dav::PropfindBody(kProps);
}

// The properties a Depth 0 PROPFIND answer gives for `url`; nullopt when
// the server says it holds nothing there (404, or a 207 holding a 404).
Result<std::optional<dav::Properties>> ItemProperties(const HttpResponse& r, const std::string& url,
                                                      const std::string& what) {
  using Found = std::optional<dav::Properties>;
  if (r.transport.ok() && r.status == 404) return Found();
  if (!r.transport.ok() || r.status != 207) return AnswerStatus(r, what);
  Result<dav::Multistatus> ms = dav::ParseMultistatus(r.body);
  if (!ms) return ms.error().WithContext(what);
  for (const dav::Response& response : ms->responses) {
    if (!dav::SameHref(response.href, url)) continue;
    if (response.status && *response.status == 404) return Found();
    if (const dav::Properties* found = response.Found()) return Found(*found);
  }
  return Status(ErrorCode::kServerError, what + ": the answer lists no properties for the item");
}

std::string Snippet(const std::string& body) {
  std::string out;
  for (char c : body.substr(0, 200)) out.push_back((c == '\r' || c == '\n') ? ' ' : c);
  return out;
}

// What every write of one batch reports into.
struct BatchState {
  BatchOutcome outcome;
  Status error;
  int pending = 0;
  std::function<void(Result<BatchOutcome>&&)> done;
  void Finish() {
    if (--pending > 0) return;
    if (!error.ok()) return done(error);
    if (outcome.collection_gone) {
      BatchOutcome gone;
      gone.collection_gone = true;
      return done(std::move(gone));
    }
    done(std::move(outcome));
  }
};

}  // namespace

Result<std::unique_ptr<DavBackend>> DavBackend::Connect(const RemoteConfig& remote, const RemoteOptions& options) {
  // Checked again here: the config may be edited by hand, and Basic sends
  // the password in every request.
  for (const auto& [text, option] : {std::pair{&remote.url, "url"}, std::pair{&remote.photos_url, "photos_url"}}) {
    if (text->empty()) continue;
    Result<std::string> url = CheckedRemoteUrl(remote, *text, option);
    if (!url) return url.error();
  }
  for (const CollectionMapping& m : remote.collections) {
    Result<std::string> url = CheckedRemoteUrl(remote, m.url, "collections url");
    if (!url) return url.error();
  }
  std::string auth;
  if (!remote.token_file.empty()) {
    // Bearer (RFC 6750): the token goes as it is in the file, never in a message.
    Result<std::string> token = ReadToken(remote);
    if (!token) return token.error();
    auth = "Authorization: Bearer " + *token;
  } else if (!remote.user.empty()) {
    Result<std::string> password = ReadPassword(remote);
    if (!password) return password.error();
    Result<std::string> header = platform::BasicAuthHeader(remote.user, *password);
    if (!header) return header.error().WithContext("remote '" + remote.name + "'");
    auth = std::move(*header);
  }
  platform::HttpOptions http = options.http;
  http.ca_file = remote.ca_file;
  http.pin_sha256 = remote.pin_sha256;
  Result<std::unique_ptr<platform::HttpClient>> client = platform::HttpClient::Create(http);
  if (!client) return client.error();
  return std::unique_ptr<DavBackend>(
      new DavBackend(remote, std::move(auth), std::make_unique<RetryingHttp>(std::move(*client), options)));
}

platform::HttpRequest DavBackend::Request(std::string method, std::string url, std::string body,
                                          std::vector<std::string> headers) const {
  platform::HttpRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.body = std::move(body);
  request.headers = std::move(headers);
  if (!auth_header_.empty()) request.headers.push_back(auth_header_);
  return request;
}

Status DavBackend::Discover() {
  if (discovered_) return Status::Ok();
  static constexpr dav::PropName kProps[] = {dav::kCurrentUserPrincipal, dav::kAddressbookHomeSet,
                                             dav::kCalendarHomeSet, dav::kResourceType};
  Result<std::string> body = dav::PropfindBody(kProps);
  if (!body) return body.error();
  // PROPFIND Depth 0 on `url`, following redirects: its first 2xx properties.
  auto ask = [&](std::string url, std::string* final_url) -> Result<dav::Properties> {
    for (int hop = 0; hop <= kMaxRedirects; ++hop) {
      HttpResponse r = http_->Perform(Request("PROPFIND", url, *body, {kXml, "Depth: 0"}));
      const std::string what = "PROPFIND " + platform::RedactUrl(url);
      if (r.transport.ok() && r.status >= 300 && r.status < 400 && r.Header("Location")) {
        Result<std::string> next = dav::ResolveHref(url, *r.Header("Location"));
        if (!next) return next.error().WithContext(what);
        url = *next;
        continue;
      }
      if (!r.transport.ok() || r.status != 207) return AnswerStatus(r, what);
      Result<dav::Multistatus> ms = dav::ParseMultistatus(r.body);
      if (!ms) return ms.error().WithContext(what);
      *final_url = url;
      for (const dav::Response& response : ms->responses) {
        if (const dav::Properties* found = response.Found()) return *found;
      }
      return dav::Properties{};
    }
    return Status(ErrorCode::kServerError, "discovery: more than " + std::to_string(kMaxRedirects) + " redirects");
  };
  std::string at;
  // A folder URL with its '/' (Apache and nginx answer PROPFIND on "/dav"
  // with 405), but an RFC 6764 well-known URL as it is: Xandikos redirects
  // "/.well-known/carddav" and answers "/.well-known/carddav/" itself.
  const std::string_view given = remote_.url;
  const bool well_known = given.ends_with("/.well-known/carddav") || given.ends_with("/.well-known/caldav");
  Result<dav::Properties> props = ask(well_known ? remote_.url : WithSlash(remote_.url), &at);
  if (!props) return props.error().WithContext("discovery for remote '" + remote_.name + "'");
  if (props->addressbook_home_set.empty() && props->calendar_home_set.empty() &&
      props->current_user_principal && !props->current_user_principal->empty()) {
    Result<std::string> principal = dav::ResolveHref(at, *props->current_user_principal);
    if (!principal) {
      return principal.error().WithContext("discovery for remote '" + remote_.name + "': current-user-principal");
    }
    std::string principal_at;
    props = ask(*principal, &principal_at);
    if (!props) return props.error().WithContext("discovery for remote '" + remote_.name + "'");
    at = principal_at;
  }
  auto home = [&](const std::vector<std::string>& set, const char* property) -> Result<std::string> {
    if (set.empty()) return WithSlash(at);  // the URL given is the home itself
    Result<std::string> url = dav::ResolveHref(at, set.front());
    if (!url) return url.error().WithContext("discovery for remote '" + remote_.name + "': " + property);
    return WithSlash(*url);
  };
  Result<std::string> book = home(props->addressbook_home_set, "addressbook-home-set");
  if (!book) return book.error();
  Result<std::string> cal = home(props->calendar_home_set, "calendar-home-set");
  if (!cal) return cal.error();
  addressbook_home_ = *book;
  calendar_home_ = *cal;
  discovered_ = true;
  return Status::Ok();
}

Result<std::string> DavBackend::CollectionUrl(const std::string& collection_id) {
  std::optional<ItemKind> kind = KindOfId(collection_id);
  if (!kind) return Status(ErrorCode::kInternal, "not a DAV collection id: " + collection_id);
  if (const CollectionMapping* mapped = MappingOf(collection_id)) return WithSlash(mapped->url);
  if (*kind == ItemKind::kPhoto) {
    if (remote_.photos_url.empty()) {
      return Status(ErrorCode::kInvalidArgument, "remote '" + remote_.name +
                                                     "' has no photo folder: photos need `remote add ... "
                                                     "--photos-url URL` (a WebDAV folder)");
    }
    return dav::MemberUrl(WithSlash(remote_.photos_url), collection_id) + "/";
  }
  HF_RETURN_IF_ERROR(Discover());
  const std::string& home = *kind == ItemKind::kContact ? addressbook_home_ : calendar_home_;
  return dav::MemberUrl(home, collection_id) + "/";
}

const CollectionMapping* DavBackend::MappingOf(const std::string& collection_id) const {
  for (const CollectionMapping& m : remote_.collections) {
    if (MappedId(m) == collection_id) return &m;
  }
  return nullptr;
}

Result<RemoteState> DavBackend::ReadState() {
  HF_RETURN_IF_ERROR(Discover());
  RemoteState state;
  state.epoch = "dav";
  state.source = "PROPFIND Depth 1 on the home sets";
  std::set<std::string> homes = {addressbook_home_, calendar_home_};
  if (!remote_.photos_url.empty()) homes.insert(WithSlash(remote_.photos_url));
  // The change markers come in the same listing: no request per collection.
  static constexpr dav::PropName kProps[] = {dav::kResourceType, dav::kGetCtag, dav::kSyncToken};
  Result<std::string> body = dav::PropfindBody(kProps);
  if (!body) return body.error();
  std::map<std::string, std::optional<storage::CollectionTokens>> ids;
  for (const std::string& home : homes) {
    const std::string what = "PROPFIND " + platform::RedactUrl(home);
    HttpResponse r = http_->Perform(Request("PROPFIND", home, *body, {kXml, "Depth: 1"}));
    // A home that does not exist holds no collection: the server says so.
    if (r.transport.ok() && r.status == 404) continue;
    if (!r.transport.ok() || r.status != 207) return AnswerStatus(r, what);
    Result<dav::Multistatus> ms = dav::ParseMultistatus(r.body);
    if (!ms) return ms.error().WithContext(what);
    for (const dav::Response& response : ms->responses) {
      if (response.status && *response.status == 404) continue;
      if (dav::SameHref(response.href, home)) continue;
      Result<std::string> name = dav::HrefName(response.href);
      if (!name) {
        ++state.unreadable_collections;
        continue;
      }
      if (!KindOfId(*name)) continue;
      std::optional<storage::CollectionTokens> tokens;
      if (const dav::Properties* found = response.Found(); found && (found->ctag || found->sync_token)) {
        tokens = storage::CollectionTokens{found->sync_token.value_or(""), found->ctag.value_or("")};
      }
      ids[*name] = std::move(tokens);
    }
  }
  // Mapped collections: each URL asked on its own; a 404, or a 207 holding
  // a 404 for it (Xandikos), is the server saying it is not there.
  // One that exists must be able to hold the kind: refused here, before a
  // push sends anything (push does not ensure a collection listed here).
  static constexpr dav::PropName kMappedProps[] = {dav::kResourceType, dav::kSupportedCalendarComponentSet,
                                                   dav::kGetCtag, dav::kSyncToken};
  Result<std::string> mapped_body = dav::PropfindBody(kMappedProps);
  if (!mapped_body) return mapped_body.error();
  for (const CollectionMapping& m : remote_.collections) {
    const std::string url = WithSlash(m.url);
    const std::string what = "PROPFIND " + platform::RedactUrl(url) + " (mapped collection)";
    HttpResponse r = http_->Perform(Request("PROPFIND", url, *mapped_body, {kXml, "Depth: 0"}));
    if (r.transport.ok() && r.status == 404) continue;
    if (!r.transport.ok() || r.status != 207) return AnswerStatus(r, what);
    Result<dav::Multistatus> ms = dav::ParseMultistatus(r.body);
    if (!ms) return ms.error().WithContext(what);
    const dav::Properties* found = nullptr;
    for (const dav::Response& response : ms->responses) {
      if (!dav::SameHref(response.href, url)) continue;
      found = (response.status && *response.status == 404) ? nullptr : response.Found();
    }
    if (found == nullptr) continue;
    HF_RETURN_IF_ERROR(MappedKindProblem(remote_.name, ItemKindOf(m.kind), m.collection, url, *found));
    std::optional<storage::CollectionTokens> tokens;
    if (found->ctag || found->sync_token) {
      tokens = storage::CollectionTokens{found->sync_token.value_or(""), found->ctag.value_or("")};
    }
    ids[MappedId(m)] = std::move(tokens);
  }
  for (auto& [id, tokens] : ids) state.collections.push_back({id, std::nullopt, std::move(tokens)});
  return state;
}

std::string DavBackend::CollectionId(const storage::CollectionInfo& collection) const {
  return std::string(kIdPrefix) + storage::ItemKindName(collection.kind) + "-" + RemoteCollectionId(collection);
}

void DavBackend::EnsureCollection(const storage::CollectionInfo& collection, std::function<void(Status)> done) {
  const std::string id = CollectionId(collection);
  Result<std::string> url = CollectionUrl(id);
  if (!url) return done(url.error());
  if (MappingOf(id) != nullptr) return EnsureMapped(collection, *url, std::move(done));
  MakeCollection(collection, *url, std::move(done));
}

void DavBackend::EnsureMapped(const storage::CollectionInfo& collection, const std::string& url,
                              std::function<void(Status)> done) {
  static constexpr dav::PropName kProps[] = {dav::kResourceType, dav::kSupportedCalendarComponentSet};
  Result<std::string> body = dav::PropfindBody(kProps);
  if (!body) return done(body.error());
  const std::string what = "PROPFIND " + platform::RedactUrl(url) + " (mapped collection '" + collection.name + "')";
  http_->Submit(Request("PROPFIND", url, std::move(*body), {kXml, "Depth: 0"}),
                [this, collection, url, what, done = std::move(done)](HttpResponse&& r) mutable {
                  if (r.transport.ok() && r.status == 404) return MakeCollection(collection, url, std::move(done));
                  if (!r.transport.ok() || r.status != 207) return done(AnswerStatus(r, what));
                  Result<dav::Multistatus> ms = dav::ParseMultistatus(r.body);
                  if (!ms) return done(ms.error().WithContext(what));
                  const dav::Properties* found = nullptr;
                  bool gone = false;
                  for (const dav::Response& response : ms->responses) {
                    if (!dav::SameHref(response.href, url)) continue;
                    if (response.status && *response.status == 404) gone = true;
                    found = response.Found();
                  }
                  if (gone) return MakeCollection(collection, url, std::move(done));
                  if (found == nullptr) {
                    return done(Status(ErrorCode::kServerError, what + ": the answer names no properties of it"));
                  }
                  done(MappedKindProblem(remote_.name, collection.kind, collection.name, url, *found));
                });
}

void DavBackend::MakeCollection(const storage::CollectionInfo& collection, const std::string& url,
                                std::function<void(Status)> done) {
  // An address book by extended MKCOL, a calendar of the kind's component by
  // MKCALENDAR, a photo folder by a plain MKCOL.
  std::string method = "MKCALENDAR";
  Result<std::string> body = std::string();
  switch (collection.kind) {
    case ItemKind::kContact: method = "MKCOL"; body = dav::MkcolAddressbookBody(collection.name); break;
    case ItemKind::kEvent:
    case ItemKind::kTask:
    case ItemKind::kNote:
      body = dav::MkcalendarBody(collection.name, std::vector<std::string>{ComponentOf(collection.kind)});
      break;
    case ItemKind::kPhoto: method = "MKCOL"; break;
  }
  if (!body) return done(body.error());
  std::vector<std::string> headers;
  if (!body->empty()) headers.push_back(kXml);
  const std::string what = method + " " + platform::RedactUrl(url);
  const ItemKind kind = collection.kind;
  platform::HttpRequest request = Request(method, url, std::move(*body), std::move(headers));
  http_->Submit(request, [this, request, what, kind, url, done = std::move(done)](HttpResponse&& r) {
      if (r.transport.ok() && (r.status == 201 || r.status == 200 || r.status == 204)) return done(Status::Ok());
      if (kind == ItemKind::kPhoto) {
        // 405: the folder exists already. 409: the photos URL itself is
        // missing (a wiped WebDAV store): made, then the folder once more.
        if (r.transport.ok() && r.status == 405) return done(Status::Ok());
        if (r.transport.ok() && r.status == 409) {
          const std::string parent = WithSlash(remote_.photos_url);
          return http_->Submit(Request("MKCOL", parent), [this, request, what, parent, done](HttpResponse&& p) {
            if (!p.transport.ok() || (p.status != 201 && p.status != 405)) {
              return done(AnswerStatus(p, "MKCOL " + platform::RedactUrl(parent) + " (the photos URL)"));
            }
            http_->Submit(request, [what, done](HttpResponse&& again) {
              if (again.transport.ok() && (again.status == 201 || again.status == 405)) return done(Status::Ok());
              done(AnswerStatus(again, what));
            });
          });
        }
        return done(AnswerStatus(r, what));
      }
      const std::string no_dav = "remote '" + remote_.name + "': " + what + ": HTTP " + std::to_string(r.status) +
                                 ": the server offers no " + (kind == ItemKind::kContact ? "CardDAV address book" : "CalDAV calendar") +
                                 " there (a plain WebDAV server takes photos only, by --photos-url; docs/dav.md)";
      if (r.transport.ok() && (r.status == 415 || r.status == 501)) return done(Status(ErrorCode::kInvalidArgument, no_dav));
      if (!r.transport.ok() || r.status != 405) return done(AnswerStatus(r, what));
      // 405: something exists there. It must be an address book or a
      // calendar: a plain WebDAV server (nginx) answers 405 to MKCALENDAR.
      static constexpr dav::PropName kProps[] = {dav::kResourceType};
      Result<std::string> body = dav::PropfindBody(kProps);
      if (!body) return done(body.error());
      http_->Submit(Request("PROPFIND", url, *body, {kXml, "Depth: 0"}),
                    [kind, url, no_dav, done](HttpResponse&& p) {
                      const std::string asked = "PROPFIND " + platform::RedactUrl(url);
                      Result<std::optional<dav::Properties>> props = ItemProperties(p, url, asked);
                      if (!props) return done(props.error());
                      const bool fits = props->has_value() &&
                                        (kind == ItemKind::kContact ? (*props)->addressbook : (*props)->calendar);
                      done(fits ? Status::Ok() : Status(ErrorCode::kInvalidArgument, no_dav));
                    });
  });
}

Result<bool> DavBackend::BlobHeld(const platform::Digest&, uint64_t) {
  return Status(ErrorCode::kInternal, "a DAV remote keeps no blobs");
}

void DavBackend::UploadBlob(const platform::Digest&, uint64_t, ContentReader, std::function<void(int64_t)>,
                            std::function<void(Status)> done) {
  done(Status(ErrorCode::kInternal, "a DAV remote keeps no blobs"));
}

void DavBackend::WriteBatch(const std::string& collection_id, std::vector<ItemWrite> puts,
                            std::vector<std::string> deletes, std::function<void(Result<BatchOutcome>&&)> done) {
  // Without the acknowledged ETags a deletion could remove another
  // client's item: each goes with "no version known" and is refused.
  std::vector<ItemDelete> with_versions;
  for (std::string& uid : deletes) with_versions.push_back({std::move(uid), ""});
  WriteChanges(collection_id, std::move(puts), std::move(with_versions), std::move(done));
}

void DavBackend::WriteChanges(const std::string& collection_id, std::vector<ItemWrite> puts,
                              std::vector<ItemDelete> deletes, std::function<void(Result<BatchOutcome>&&)> done) {
  Result<std::string> url = CollectionUrl(collection_id);
  if (!url) return done(url.error());
  const ItemKind kind = *KindOfId(collection_id);
  auto state = std::make_shared<BatchState>();
  state->done = std::move(done);
  state->outcome.puts.assign(puts.size(), BatchOutcome::Put::kStored);
  state->outcome.put_reasons.assign(puts.size(), "");
  state->outcome.put_versions.assign(puts.size(), "");
  state->outcome.deletes.assign(deletes.size(), BatchOutcome::Delete::kDeleted);
  state->outcome.delete_reasons.assign(deletes.size(), "");
  state->pending = static_cast<int>(puts.size() + deletes.size()) + 1;
  for (size_t i = 0; i < puts.size(); ++i) {
    ItemWrite& put = puts[i];
    auto write = std::make_shared<PutWrite>();
    write->collection_id = collection_id;
    write->uid = std::move(put.uid);
    if (kind == ItemKind::kPhoto) {
      PhotoPlace place = PhotoPlaceOf(*url, write->uid);
      write->url = std::move(place.url);
      write->folders = std::move(place.folders);
      write->photo = true;
    } else {
      write->url = dav::MemberUrl(*url, ResourceName(kind, ItemName(write->uid)));
    }
    write->content_type = ContentTypeOf(kind);
    write->content = std::move(put.content);
    write->replaces = put.replaces;
    write->if_match = std::move(put.if_match);
    write->earlier = std::move(put.earlier);
    SubmitPut(std::move(write), [state, i](PutAnswer&& answer) {
      BatchOutcome& o = state->outcome;
      if (!answer.error.ok()) {
        if (state->error.ok()) state->error = std::move(answer.error);
      } else if (answer.collection_gone) {
        o.collection_gone = true;
      } else {
        o.puts[i] = answer.put;
        o.put_reasons[i] = std::move(answer.reason);
        o.put_versions[i] = std::move(answer.version);
      }
      state->Finish();
    });
  }
  for (size_t i = 0; i < deletes.size(); ++i) {
    const ItemDelete& del = deletes[i];
    const std::string item_url =
        kind == ItemKind::kPhoto ? PhotoPlaceOf(*url, del.uid).url
                                 : dav::MemberUrl(*url, ResourceName(kind, ItemName(del.uid)));
    if (del.if_match.empty() && kind != ItemKind::kPhoto) {
      state->outcome.deletes[i] = BatchOutcome::Delete::kRefused;
      state->outcome.delete_reasons[i] = "no ETag known for what this device put there: not deleted";
      state->Finish();
      continue;
    }
    std::vector<std::string> headers;
    if (IsEntityTagText(del.if_match)) {
      headers.push_back("If-Match: " + dav::FormatEntityTag(dav::EntityTag{del.if_match, false}));
    }
    const std::string what = "DELETE " + platform::RedactUrl(item_url);
    http_->Submit(Request("DELETE", item_url, "", std::move(headers)),
                  [this, state, i, what, item_url, uid = del.uid](HttpResponse&& r) {
                    if (r.transport.ok() && (r.status == 200 || r.status == 204 || r.status == 404)) {
                      // deleted, or absent: success
                    } else if (r.transport.ok() && r.status == 412) {
                      // Gone meanwhile (404 now): deleted. Present: another
                      // client's version, or one this device never put there.
                      return http_->Submit(Request("GET", item_url), [state, i, what, uid](HttpResponse&& got) {
                        BatchOutcome& o = state->outcome;
                        if (got.transport.ok() && got.status == 404) {
                          // deleted by someone else: what this device wanted
                        } else if (got.transport.ok() && got.status == 200) {
                          o.deletes[i] = BatchOutcome::Delete::kRefused;
                          o.delete_reasons[i] = "412 Precondition Failed: the server holds another version of '" +
                                                uid + "' (another client's change): kept there, not deleted";
                        } else if (state->error.ok()) {
                          state->error = AnswerStatus(got, "GET after a 412 on " + what);
                        }
                        state->Finish();
                      });
                    } else if (state->error.ok()) {
                      state->error = AnswerStatus(r, what);
                    }
                    state->Finish();
                  });
  }
  state->Finish();
}

void DavBackend::SubmitPut(std::shared_ptr<PutWrite> write, std::function<void(PutAnswer&&)> done) {
  if (write->photo && !write->looked_up) return MakeFolders(std::move(write), 0, std::move(done));
  std::vector<std::string> headers = {write->content_type};
  if (!write->replaces) {
    headers.push_back("If-None-Match: *");
  } else if (IsEntityTagText(write->if_match)) {
    headers.push_back("If-Match: " + dav::FormatEntityTag(dav::EntityTag{write->if_match, false}));
  }
  const std::string what = "PUT " + platform::RedactUrl(write->url);
  http_->Submit(Request("PUT", write->url, write->content, std::move(headers)),
                [this, write, what, done = std::move(done)](HttpResponse&& r) mutable {
                  PutAnswer answer;
                  if (r.transport.ok() && (r.status == 200 || r.status == 201 || r.status == 204)) {
                    // Photos: Apache and nginx give no ETag here; the token
                    // comes from the item's properties, as ListInventory's.
                    if (write->photo) return LearnVersion(std::move(write), BatchOutcome::Put::kStored, std::move(done));
                    answer.version = Token(r.Header("ETag"));
                    if (!answer.version.empty()) stored_versions_[write->url] = answer.version;
                  } else if (r.transport.ok() && (r.status == 404 || (write->photo && r.status == 409))) {
                    // 409 for a photo: its folder, made this run, is gone.
                    answer.collection_gone = true;
                  } else if (r.transport.ok() && r.status == 412) {
                    return ResolvePutConflict(std::move(write), std::move(done));
                  } else if (r.transport.ok() && r.status >= 400 && r.status < 500 && r.status != 401 &&
                             r.status != 403 && r.status != 408 && r.status != 429) {
                    answer.put = BatchOutcome::Put::kRefused;
                    answer.reason = "HTTP " + std::to_string(r.status) + ": " + Snippet(r.body);
                  } else {
                    answer.error = AnswerStatus(r, what);
                  }
                  done(std::move(answer));
                });
}

void DavBackend::PutAsNew(std::shared_ptr<PutWrite> write, std::function<void(PutAnswer&&)> done) {
  write->retried = true;
  write->replaces = false;
  write->if_match.clear();
  SubmitPut(std::move(write), std::move(done));
}

void DavBackend::ResolvePutConflict(std::shared_ptr<PutWrite> write, std::function<void(PutAnswer&&)> done) {
  // A 412: the server holds a version of this resource other than the one
  // the precondition named. Its current version decides (docs/dav.md,
  // "Conflicts"); the GET goes through Submit because this runs inside Run().
  const std::string what = "GET " + platform::RedactUrl(write->url) + " (after a 412 on PUT)";
  http_->Submit(Request("GET", write->url), [this, write, what, done = std::move(done)](HttpResponse&& r) mutable {
    PutAnswer answer;
    if (r.transport.ok() && r.status == 404) {
      // Deleted since the 412: create it, once. A second 412 means another
      // client created it in between: refused like any other conflict.
      if (write->retried) {
        answer.put = BatchOutcome::Put::kRefused;
        answer.reason = "412 Precondition Failed twice: another client is writing '" + write->uid +
                        "' on the server: kept there, not overwritten";
        return done(std::move(answer));
      }
      return PutAsNew(std::move(write), std::move(done));
    }
    if (!r.transport.ok() || r.status != 200) {
      answer.error = AnswerStatus(r, what);
      return done(std::move(answer));
    }
    const std::optional<std::string> etag = r.Header("ETag");
    const bool same = SameContent(write->collection_id, write->content, r.body);
    if (write->photo) {
      if (same) {
        const BatchOutcome::Put put = write->replaces ? BatchOutcome::Put::kUnchanged : BatchOutcome::Put::kStored;
        return LearnVersion(std::move(write), put, std::move(done));
      }
      // Apache's ETag is weak while the file is under a second old, and a
      // weak tag never satisfies If-Match: the 412 came from that alone when
      // the server's tag is the acknowledged one (LookUpPhoto saw it too).
      Result<dav::EntityTag> tag = dav::ParseEntityTag(etag.value_or(""));
      if (write->replaces && !write->retried && tag && tag->weak && tag->opaque == write->if_match) {
        write->retried = true;
        write->if_match.clear();
        return SubmitPut(std::move(write), std::move(done));
      }
    }
    if (!same && !write->overwrote && etag && !Token(etag).empty() && write->earlier && write->earlier(r.body)) {
      // An earlier content this device had for the item: an older copy of
      // the store put back, not another client's change. Overwritten, with
      // a precondition on exactly the version read: a change meanwhile is
      // a second 412 and refused below.
      write->overwrote = true;
      write->replaces = true;
      write->if_match = Token(etag);
      return SubmitPut(std::move(write), std::move(done));
    }
    if (same && etag && !Token(etag).empty()) {
      // What this device wanted there is there already (an earlier push
      // whose acknowledgement the vault never recorded): acknowledged with
      // the server's ETag.
      answer.put = write->replaces ? BatchOutcome::Put::kUnchanged : BatchOutcome::Put::kStored;
      answer.version = Token(etag);
    } else if (same) {
      answer.error = Status(ErrorCode::kServerError, what + ": the same item, but no ETag to acknowledge it by");
    } else if (!write->photo && !write->overwrote && SentHere(*write, Token(etag))) {
      // The ETag is the one this device's own PUT was answered with (or the
      // one the vault acknowledged): no other client wrote there, the
      // server keeps what it was sent in another form (docs/dav.md, "Round
      // trips"). Refused all the same: it cannot be verified there.
      answer.put = BatchOutcome::Put::kRefused;
      answer.reason = "the server stores '" + write->uid +
                      "' in a form that differs from what was sent: " + dav::FirstDifference(write->content, r.body) +
                      " (the server's own rewrite of this device's PUT, ETag " + Token(etag) +
                      "): kept there, not overwritten; the vault keeps this device's version";
    } else {
      answer.put = BatchOutcome::Put::kRefused;
      answer.reason = "412 Precondition Failed: the server holds another version of '" + write->uid +
                      (write->overwrote ? "' (changed again while an older copy of it was being replaced)"
                                        : "' (another client's change, or an item this device did not put there)") +
                      ": kept there, not overwritten; the vault keeps this device's version";
    }
    done(std::move(answer));
  });
}

void DavBackend::MakeFolders(std::shared_ptr<PutWrite> write, size_t next, std::function<void(PutAnswer&&)> done) {
  while (next < write->folders.size() && folders_made_.count(write->folders[next]) != 0) ++next;
  if (next == write->folders.size()) return LookUpPhoto(std::move(write), std::move(done));
  const std::string folder = write->folders[next];
  const std::string what = "MKCOL " + platform::RedactUrl(folder);
  http_->Submit(Request("MKCOL", folder), [this, write, next, folder, what, done = std::move(done)](HttpResponse&& r) mutable {
    // 405: it exists. 409 (404 on some servers): its parent, the collection
    // or a folder made this run, is gone.
    if (r.transport.ok() && (r.status == 201 || r.status == 405)) {
      folders_made_.insert(folder);
      return MakeFolders(std::move(write), next + 1, std::move(done));
    }
    PutAnswer answer;
    if (r.transport.ok() && r.status == 403) {
      // Apache answers 403 to a MKCOL that lost a race with another for the
      // same folder (two photos of one new folder in flight, or another
      // client): a folder there now is made. Refused credentials fail the
      // PROPFIND as well.
      static constexpr dav::PropName kProps[] = {dav::kResourceType};
      Result<std::string> body = dav::PropfindBody(kProps);
      if (!body) {
        answer.error = body.error();
        return done(std::move(answer));
      }
      return http_->Submit(Request("PROPFIND", folder, *body, {kXml, "Depth: 0"}),
                           [this, write, next, folder, what, done = std::move(done)](HttpResponse&& p) mutable {
                             Result<std::optional<dav::Properties>> props = ItemProperties(p, folder, what);
                             if (props && props->has_value() && (*props)->collection) {
                               folders_made_.insert(folder);
                               return MakeFolders(std::move(write), next + 1, std::move(done));
                             }
                             PutAnswer failed;
                             failed.error = props ? Status(ErrorCode::kAuthFailed, what + ": HTTP 403 (refused)")
                                                  : props.error();
                             done(std::move(failed));
                           });
    }
    if (r.transport.ok() && (r.status == 409 || r.status == 404)) {
      answer.collection_gone = true;
    } else {
      answer.error = AnswerStatus(r, what);
    }
    done(std::move(answer));
  });
}

void DavBackend::ReadPhotoProperties(
    std::shared_ptr<PutWrite> write, std::string what, std::function<void(PutAnswer&&)> done,
    std::function<void(std::optional<dav::Properties>&&, std::function<void(PutAnswer&&)>&&)> then) {
  Result<std::string> body = PhotoPropfindBody();
  if (!body) {
    PutAnswer answer;
    answer.error = body.error();
    return done(std::move(answer));
  }
  const std::string url = write->url;
  http_->Submit(Request("PROPFIND", url, *body, {kXml, "Depth: 0"}),
                [url, what = std::move(what), done = std::move(done), then = std::move(then)](HttpResponse&& r) mutable {
                  Result<std::optional<dav::Properties>> props = ItemProperties(r, url, what);
                  if (!props) {
                    PutAnswer answer;
                    answer.error = props.error();
                    return done(std::move(answer));
                  }
                  then(std::move(*props), std::move(done));
                });
}

void DavBackend::LookUpPhoto(std::shared_ptr<PutWrite> write, std::function<void(PutAnswer&&)> done) {
  const std::string what = "PROPFIND " + platform::RedactUrl(write->url) + " (before the PUT)";
  ReadPhotoProperties(
      write, what, std::move(done),
      [this, write](std::optional<dav::Properties>&& props, std::function<void(PutAnswer&&)>&& done) mutable {
        write->looked_up = true;
        if (!props.has_value()) {
          // Nothing there: created, never replacing.
          write->replaces = false;
          write->if_match.clear();
          return SubmitPut(std::move(write), std::move(done));
        }
        if (props->collection) {
          PutAnswer answer;
          answer.put = BatchOutcome::Put::kRefused;
          answer.reason = "the server holds a folder at the name of '" + write->uid + "': not overwritten";
          return done(std::move(answer));
        }
        const std::string version = VersionOf(&*props);
        if (write->replaces && !write->if_match.empty() && version == write->if_match) {
          // What this device acknowledged is there: replaced.
          return SubmitPut(std::move(write), std::move(done));
        }
        const BatchOutcome::Put same = write->replaces ? BatchOutcome::Put::kUnchanged : BatchOutcome::Put::kStored;
        ComparePhoto(std::move(write), same, "found at its name before the PUT", std::move(done));
      });
}

void DavBackend::ComparePhoto(std::shared_ptr<PutWrite> write, BatchOutcome::Put same, std::string why_read,
                              std::function<void(PutAnswer&&)> done) {
  const std::string what = "GET " + platform::RedactUrl(write->url) + " (" + why_read + ")";
  http_->Submit(Request("GET", write->url), [this, write, same, what, done = std::move(done)](HttpResponse&& r) mutable {
    PutAnswer answer;
    if (r.transport.ok() && r.status == 404 && !write->retried) {
      return PutAsNew(std::move(write), std::move(done));  // deleted since it was looked up
    }
    if (!r.transport.ok() || r.status != 200) {
      answer.error = AnswerStatus(r, what);
      return done(std::move(answer));
    }
    if (platform::Sha256Of(r.body) == platform::Sha256Of(write->content)) {
      return LearnVersion(std::move(write), same, std::move(done));
    }
    answer.put = BatchOutcome::Put::kRefused;
    answer.reason = "the server holds other bytes at the name of '" + write->uid +
                    (write->replaces ? "' than the version this device acknowledged"
                                     : "' (a file this device did not put there)") +
                    " (another client's file): kept there, not overwritten; the vault keeps this device's";
    done(std::move(answer));
  });
}

void DavBackend::LearnVersion(std::shared_ptr<PutWrite> write, BatchOutcome::Put put,
                              std::function<void(PutAnswer&&)> done) {
  const std::string what = "PROPFIND " + platform::RedactUrl(write->url) + " (its version)";
  ReadPhotoProperties(
      write, what, std::move(done),
      [write, put, what](std::optional<dav::Properties>&& props, std::function<void(PutAnswer&&)>&& done) {
        PutAnswer answer;
        if (!props.has_value()) {
          answer.error = Status(ErrorCode::kServerError, what + ": gone right after it was stored");
        } else if (props->content_length && *props->content_length != static_cast<int64_t>(write->content.size())) {
          answer.put = BatchOutcome::Put::kRefused;
          answer.reason = "the server holds " + std::to_string(*props->content_length) + " bytes at the name of '" +
                          write->uid + "', not the " + std::to_string(write->content.size()) +
                          " sent: another client wrote there meanwhile; not acknowledged";
        } else if (std::string version = VersionOf(&*props); version.empty()) {
          answer.error = Status(ErrorCode::kServerError,
                                what + ": no getetag, nor getlastmodified with getcontentlength: "
                                       "nothing to tell a later change by");
        } else {
          answer.put = put;
          answer.version = std::move(version);
        }
        done(std::move(answer));
      });
}

std::string DavBackend::ItemUrl(const std::string& collection_id, const std::string& collection_url,
                                const std::string& item_name) const {
  auto photos = photo_urls_.find(collection_id);
  if (photos != photo_urls_.end()) {
    auto found = photos->second.find(item_name);
    if (found != photos->second.end()) return found->second;
  }
  const std::optional<ItemKind> kind = KindOfId(collection_id);
  if (kind && *kind != ItemKind::kPhoto) return dav::MemberUrl(collection_url, ResourceName(*kind, item_name));
  return dav::MemberUrl(collection_url, item_name);
}

Result<Inventory> DavBackend::ListPhotoTree(const std::string& collection_id, const std::string& url) {
  Result<std::string> body = PhotoPropfindBody();
  if (!body) return body.error();
  std::map<std::string, std::string>& urls = photo_urls_[collection_id];
  urls.clear();
  Inventory inventory;
  struct Folder {
    std::string url;
    size_t depth;
  };
  std::vector<Folder> todo = {{url, 0}};
  size_t folders = 0;
  while (!todo.empty()) {
    const Folder folder = std::move(todo.back());
    todo.pop_back();
    const std::string what = "PROPFIND " + platform::RedactUrl(folder.url);
    if (++folders > kMaxPhotoFolders) {
      return Status(ErrorCode::kServerError, what + ": more than " + std::to_string(kMaxPhotoFolders) + " folders");
    }
    HttpResponse r = http_->Perform(Request("PROPFIND", folder.url, *body, {kXml, "Depth: 1"}));
    // A sub-folder removed while the tree is walked holds nothing now.
    if (r.transport.ok() && r.status == 404) {
      if (folder.depth > 0) continue;
      inventory.collection_gone = true;
      urls.clear();
      return inventory;
    }
    if (!r.transport.ok() || r.status != 207) return AnswerStatus(r, what);
    Result<dav::Multistatus> ms = dav::ParseMultistatus(r.body);
    if (!ms) return ms.error().WithContext(what);
    for (const dav::Response& response : ms->responses) {
      const bool self = dav::SameHref(response.href, folder.url);
      if (response.status && *response.status == 404) {
        if (self && folder.depth == 0) {
          inventory.collection_gone = true;
          inventory.items.clear();
          urls.clear();
          return inventory;
        }
        continue;
      }
      if (self) continue;
      Result<std::optional<std::vector<std::string>>> segments = dav::SegmentsUnder(url, response.href);
      if (!segments) return segments.error().WithContext(what);
      if (!*segments || (*segments)->empty()) {
        return Status(ErrorCode::kServerError, what + ": lists '" + response.href.substr(0, 200) +
                                                   "', which is not below the collection");
      }
      Result<std::string> at = dav::ResolveHref(folder.url, response.href);
      if (!at) return at.error().WithContext(what);
      const dav::Properties* found = response.Found();
      if (found && found->collection) {
        if ((*segments)->size() != folder.depth + 1) continue;  // listed deeper than asked: walked in its turn
        if (folder.depth + 1 >= kMaxPhotoDepth) {
          return Status(ErrorCode::kServerError, what + ": folders nested deeper than " + std::to_string(kMaxPhotoDepth));
        }
        todo.push_back({WithSlash(*at), folder.depth + 1});
        continue;
      }
      std::string uid;
      for (size_t i = 0; i < (*segments)->size(); ++i) {
        if (i > 0) uid.push_back('/');
        uid += UidSegment((**segments)[i]);
      }
      const std::string name = ItemName(uid);
      inventory.items[name] = VersionOf(found);
      urls[name] = *at;
    }
  }
  return inventory;
}

Status DavBackend::RemoveItem(const std::string& collection_id, const std::string& item_name) {
  Result<std::string> url = CollectionUrl(collection_id);
  if (!url) return url.error();
  const std::string item_url = ItemUrl(collection_id, *url, item_name);
  HttpResponse r = http_->Perform(Request("DELETE", item_url));
  if (r.transport.ok() && (r.status == 200 || r.status == 204 || r.status == 404)) return Status::Ok();
  return AnswerStatus(r, "DELETE " + platform::RedactUrl(item_url));
}

std::string DavBackend::ItemName(std::string_view uid) const {
  bool plain = !uid.empty() && uid.size() <= 200 && uid != "." && uid != "..";
  for (char c : uid) {
    if (!plain) break;
    plain = std::isalnum(static_cast<unsigned char>(c)) || std::string_view("._~@+-").find(c) != std::string_view::npos;
  }
  if (plain) return std::string(uid);
  return "hf-" + platform::ToHex(platform::Sha256Of(uid));
}

Result<Inventory> DavBackend::ListInventory(const std::string& collection_id) {
  Result<std::string> url = CollectionUrl(collection_id);
  if (!url) return url.error();
  if (KindOfId(collection_id) == ItemKind::kPhoto) return ListPhotoTree(collection_id, *url);
  static constexpr dav::PropName kProps[] = {dav::kGetEtag, dav::kResourceType};
  Result<std::string> body = dav::PropfindBody(kProps);
  if (!body) return body.error();
  const std::string what = "PROPFIND " + platform::RedactUrl(*url);
  HttpResponse r = http_->Perform(Request("PROPFIND", *url, *body, {kXml, "Depth: 1"}));
  Inventory inventory;
  if (r.transport.ok() && r.status == 404) {
    inventory.collection_gone = true;
    return inventory;
  }
  if (!r.transport.ok() || r.status != 207) return AnswerStatus(r, what);
  Result<dav::Multistatus> ms = dav::ParseMultistatus(r.body);
  if (!ms) return ms.error().WithContext(what);
  for (const dav::Response& response : ms->responses) {
    const bool self = dav::SameHref(response.href, *url);
    if (response.status && *response.status == 404) {
      // Xandikos: a collection deleted from under it answers 207 holding a 404.
      if (self) {
        inventory.collection_gone = true;
        inventory.items.clear();
        return inventory;
      }
      continue;
    }
    if (self) continue;
    Result<std::string> name = dav::HrefName(response.href);
    if (!name) return name.error().WithContext(what);
    const dav::Properties* found = response.Found();
    if (found && found->collection) continue;  // a sub-folder is no item
    inventory.items[ItemNameOfResource(*KindOfId(collection_id), *name)] = Token(found ? found->etag : std::nullopt);
  }
  return KeepOwnComponent(collection_id, *url, std::move(inventory));
}

Result<Inventory> DavBackend::KeepOwnComponent(const std::string& collection_id, const std::string& url,
                                               Inventory inventory) {
  // A calendar mapped for several kinds (events and tasks in one calendar)
  // holds each kind's items side by side: an item belongs to this
  // collection when it holds this kind's component, whatever its name. No
  // REPORT answers that everywhere (Xandikos 0.2.8's calendar-query finds no
  // item stored under a name without ".ics"), so each member is read.
  const CollectionMapping* mapped = MappingOf(collection_id);
  const char* component = ComponentOf(*KindOfId(collection_id));
  if (mapped == nullptr || component == nullptr || inventory.collection_gone) return inventory;
  bool shared = false;
  for (const CollectionMapping& m : remote_.collections) {
    shared = shared || (&m != mapped && m.kind != mapped->kind && WithSlash(m.url) == url);
  }
  if (!shared) return inventory;
  const std::string begin = std::string("BEGIN:") + component;
  for (auto it = inventory.items.begin(); it != inventory.items.end();) {
    const std::string item_url = ItemUrl(collection_id, url, it->first);
    HttpResponse r = http_->Perform(Request("GET", item_url));
    if (r.transport.ok() && r.status == 404) {
      it = inventory.items.erase(it);  // gone meanwhile: not held
      continue;
    }
    if (!r.transport.ok() || r.status != 200) return AnswerStatus(r, "GET " + platform::RedactUrl(item_url));
    bool own = false;
    size_t at = 0;
    while (!own && at < r.body.size()) {
      size_t end = r.body.find('\n', at);
      if (end == std::string::npos) end = r.body.size();
      std::string line = r.body.substr(at, end - at);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      own = platform::EqualsIgnoreCase(line, begin);
      at = end + 1;
    }
    it = own ? std::next(it) : inventory.items.erase(it);
  }
  return inventory;
}

Result<bool> DavBackend::KnowsSyncToken(const std::string& collection_id, const std::string& sync_token) {
  Result<std::string> url = CollectionUrl(collection_id);
  if (!url) return url.error();
  static constexpr dav::PropName kProps[] = {dav::kGetEtag};
  Result<std::string> body = dav::SyncCollectionBody(sync_token, kProps);
  if (!body) return body.error();
  const std::string what = "REPORT sync-collection " + platform::RedactUrl(*url);
  HttpResponse r = http_->Perform(Request("REPORT", *url, *body, {kXml, "Depth: 0"}));
  if (r.transport.ok() && r.status == 207) return true;
  if (r.transport.ok() && (r.status == 403 || r.status == 409)) {
    // RFC 6578: the token is no longer valid, said with a DAV:error
    // naming valid-sync-token. Another 403 is refused credentials.
    Result<std::vector<std::string>> preconditions = dav::ParseDavError(r.body);
    if (preconditions) {
      for (const std::string& p : *preconditions) {
        if (p == dav::PropName{dav::kDavNs, "valid-sync-token"}.Clark()) return false;
      }
    }
  }
  // Xandikos answers a token it no longer has with a 500 (docs/dav.md). A
  // server that fails outright fails the inventory that follows as well,
  // so reading this 500 as "token unknown" only ever asks for the full
  // listing, never for less.
  if (r.transport.ok() && r.status == 500) return false;
  return AnswerStatus(r, what);
}

Result<std::optional<std::string>> DavBackend::ReadItem(const std::string& collection_id,
                                                        const std::string& item_name) {
  Result<std::string> url = CollectionUrl(collection_id);
  if (!url) return url.error();
  const std::string item_url = ItemUrl(collection_id, *url, item_name);
  HttpResponse r = http_->Perform(Request("GET", item_url));
  if (r.transport.ok() && r.status == 404) return std::optional<std::string>();
  if (!r.transport.ok() || r.status != 200) return AnswerStatus(r, "GET " + platform::RedactUrl(item_url));
  return std::optional<std::string>(std::move(r.body));
}

size_t DavBackend::max_read_batch(const std::string& collection_id) const {
  return KindOfId(collection_id) == ItemKind::kPhoto ? 4 : 100;
}

Result<std::map<std::string, std::string>> DavBackend::GetEach(const std::string& collection_id,
                                                               const std::vector<std::string>& item_names) {
  Result<std::string> url = CollectionUrl(collection_id);
  if (!url) return url.error();
  std::map<std::string, std::string> out;
  Status error;
  for (const std::string& name : item_names) {
    const std::string item_url = ItemUrl(collection_id, *url, name);
    http_->Submit(Request("GET", item_url), [&out, &error, name, item_url](HttpResponse&& r) {
      if (r.transport.ok() && r.status == 404) return;  // not held
      if (!r.transport.ok() || r.status != 200) {
        if (error.ok()) error = AnswerStatus(r, "GET " + platform::RedactUrl(item_url));
        return;
      }
      out[name] = std::move(r.body);
    });
  }
  HF_RETURN_IF_ERROR(http_->RunUntilIdle());
  if (!error.ok()) return error;
  return out;
}

Result<std::map<std::string, std::string>> DavBackend::ReadItems(const std::string& collection_id,
                                                                 const std::vector<std::string>& item_names) {
  const std::optional<ItemKind> kind = KindOfId(collection_id);
  if (!kind || *kind == ItemKind::kPhoto || multiget_refused_ || item_names.empty()) {
    return GetEach(collection_id, item_names);
  }
  Result<std::string> url = CollectionUrl(collection_id);
  if (!url) return url.error();
  const bool book = *kind == ItemKind::kContact;
  const dav::PropName data = book ? dav::kAddressData : dav::kCalendarData;
  const dav::PropName props[] = {dav::kGetEtag, data};
  std::vector<std::string> hrefs;
  std::map<std::string, std::string> wanted;  // item URL -> name
  for (const std::string& name : item_names) {
    const std::string item_url = ItemUrl(collection_id, *url, name);
    hrefs.push_back(UrlPath(item_url));
    wanted.emplace(item_url, name);
  }
  Result<std::string> body = book ? dav::AddressbookMultigetBody(props, hrefs) : dav::CalendarMultigetBody(props, hrefs);
  if (!body) return body.error();
  const std::string what = std::string("REPORT ") + (book ? "addressbook" : "calendar") + "-multiget on " +
                           platform::RedactUrl(*url) + " (" + std::to_string(item_names.size()) + " items)";
  HttpResponse r = http_->Perform(Request("REPORT", *url, std::move(*body), {kXml, "Depth: 1"}));
  if (r.transport.ok() && r.status != 207 && r.status != 401 && r.status != 403 && r.status < 500 &&
      r.status != 404) {
    // No multiget here (e.g. 400, 405, 415): the items one by one, from now on.
    multiget_refused_ = true;
    return GetEach(collection_id, item_names);
  }
  if (!r.transport.ok() || r.status != 207) return AnswerStatus(r, what);
  Result<dav::Multistatus> ms = dav::ParseMultistatus(r.body);
  if (!ms) return ms.error().WithContext(what);
  std::map<std::string, std::string> out;
  std::set<std::string> answered;
  for (dav::Response& response : ms->responses) {
    Result<std::string> at = dav::ResolveHref(*url, response.href);
    if (!at) return at.error().WithContext(what);
    auto it = std::find_if(wanted.begin(), wanted.end(),
                           [&](const auto& w) { return dav::SameHref(w.first, *at); });
    if (it == wanted.end()) continue;  // not asked for: ignored
    answered.insert(it->second);
    if (response.status && *response.status == 404) continue;  // not held
    const dav::Properties* found = response.Found();
    const std::optional<std::string>& bytes = found ? (book ? found->address_data : found->calendar_data) : std::nullopt;
    if (!bytes) {
      // Listed, but its data withheld (Xandikos 0.2.8 answers address-data
      // with a 404 propstat for a resource not named *.vcf): fetched by GET
      // below, and by GET from now on.
      answered.erase(it->second);
      multiget_refused_ = true;
      continue;
    }
    out[it->second] = *bytes;
  }
  // A name the answer left out is asked for on its own: never taken as absent.
  std::vector<std::string> missing;
  for (const std::string& name : item_names) {
    if (answered.count(name) == 0) missing.push_back(name);
  }
  if (!missing.empty()) {
    Result<std::map<std::string, std::string>> rest = GetEach(collection_id, missing);
    if (!rest) return rest.error();
    out.merge(*rest);
  }
  return out;
}

bool DavBackend::SameContent(const std::string& collection_id, std::string_view vault_bytes,
                             std::string_view held) const {
  if (KindOfId(collection_id) == ItemKind::kPhoto) return platform::Sha256Of(vault_bytes) == platform::Sha256Of(held);
  return dav::SameCard(vault_bytes, held);
}

}  // namespace holdfast::agent
