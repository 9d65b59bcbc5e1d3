#include "tools/server/http_api.h"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "platform/base64.h"
#include "platform/content_line.h"
#include "platform/sha256.h"
#include "platform/wire_text.h"

namespace holdfast::server {
namespace {

using nlohmann::json;
using Handler = std::function<void(const httplib::Request&, httplib::Response&, const std::string& account)>;

void Problem(httplib::Response& res, int status, const std::string& type, const std::string& detail,
             json extra = json::object()) {
  static const std::map<int, const char*> kTitles = {
      {400, "Bad request"}, {401, "Unauthorized"},   {403, "Forbidden"},          {404, "Not found"},
      {409, "Conflict"},    {413, "Too large"},      {422, "Checksum mismatch"},  {429, "Too many requests"},
      {500, "Internal error"}, {503, "Unavailable"}};
  json body = {{"type", "urn:holdfast:problem:" + type},
               {"title", kTitles.count(status) ? kTitles.at(status) : "Error"},
               {"status", status},
               {"detail", detail}};
  for (auto& [key, value] : extra.items()) body[key] = value;
  res.status = status;
  if (status == 429 || status == 503) res.set_header("Retry-After", "1");
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/problem+json");
}

void Json(httplib::Response& res, const json& body) {
  res.status = 200;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

bool IsCollectionId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id) {
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

// A uid as the agent sends it: its wire form (platform/wire_text.h), kept as
// it came so that order and digest are those the agent computes.
bool IsUid(const std::string& uid) {
  return !uid.empty() && uid.size() <= 1024 && platform::FromWireText(uid).has_value();
}

bool IsSha256Hex(const std::string& hex) {
  platform::Digest digest;
  return hex.size() == 64 && platform::FromHex(hex, &digest) && platform::ToHex(digest) == hex;
}

json CollectionJson(const CollectionState& c) {
  return {{"id", c.id}, {"kind", c.kind}, {"name", c.name}, {"items", c.items}, {"digest", c.digest}};
}

// A store error as an HTTP answer.
void StoreError(httplib::Response& res, const Status& status) {
  if (status.code() == ErrorCode::kNotFound) return Problem(res, 404, "not-found", status.message());
  if (status.code() == ErrorCode::kVaultLocked) return Problem(res, 503, "unavailable", "the store is busy");
  Problem(res, 500, "internal", status.message());
}

// A response that breaks off: the connection closes after `keep` bytes of
// `body` (0: right after the headers).
void BreakOff(httplib::Response& res, std::string body, size_t keep) {
  auto shared = std::make_shared<std::string>(std::move(body));
  const size_t length = std::max<size_t>(shared->size(), 1);
  res.body.clear();  // else httplib sends the body and never asks the provider
  res.set_content_provider(length, "application/json",
                           [shared, keep](size_t offset, size_t, httplib::DataSink& sink) {
                             if (offset < keep) sink.write(shared->data() + offset, keep - offset);
                             return false;
                           });
}

// The TCP port of a socket's local (or peer) end; -1 if not an IP socket.
int PortOf(int fd, bool peer) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  const int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length)
                      : getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  if (rc != 0) return -1;
  if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  return -1;
}

// Closes the request's connection in both directions before any byte of the
// answer is written: the client sees the connection end with no reply, as
// when a server process dies or a middlebox drops the connection. httplib
// does not hand its socket to handlers, so it is found by its two ports;
// httplib's own writes then fail and it closes the descriptor as usual.
// Returns false if the socket was not found (the caller then cuts the answer
// off after its headers instead).
bool DropConnection(const httplib::Request& req) {
  DIR* fds = opendir("/proc/self/fd");
  if (fds == nullptr) return false;
  bool dropped = false;
  while (dirent* entry = readdir(fds)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(fds)) continue;
    struct stat st {};
    if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    if (PortOf(static_cast<int>(fd), false) == req.local_port && PortOf(static_cast<int>(fd), true) == req.remote_port) {
      dropped = shutdown(static_cast<int>(fd), SHUT_RDWR) == 0;
      break;
    }
  }
  closedir(fds);
  return dropped;
}

// Set by Guard for the request this thread is handling (httplib runs each
// request on one thread): its scheduled "drop" fault, read by PutOne.
thread_local bool drop_this_request = false;

}  // namespace

class Routes {
 public:
  Routes(ServerStore& store, FaultInjector& faults, std::FILE* log) : store_(store), faults_(faults), log_(log) {}

  // Wraps a handler: faults, authentication, no exception escaping, the log.
  httplib::Server::Handler Guard(Handler handler) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
      const FaultInjector::Decision decision = faults_.Next();
      const Fault fault = decision.fault;
      if (decision.latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(decision.latency_ms));
      bool answered = true;
      switch (fault) {
        case Fault::kError500: Problem(res, 500, "internal", "injected fault"); break;
        case Fault::kError503: Problem(res, 503, "unavailable", "injected fault"); break;
        case Fault::kError429: Problem(res, 429, "rate-limited", "injected fault"); break;
        case Fault::kResetBefore: answered = Drop(req, res); break;
        default: {
          drop_this_request = fault == Fault::kDrop;
          try {
            const std::string account = req.matches.size() > 1 ? std::string(req.matches[1]) : "";
            if (Authenticate(req, res, account)) handler(req, res, account);
          } catch (const std::exception& e) {
            Problem(res, 500, "internal", std::string("unexpected: ") + e.what());
          }
          drop_this_request = false;
          if (fault == Fault::kResetAfter) answered = Drop(req, res);
          if (fault == Fault::kTruncate) BreakOff(res, res.body, res.body.size() / 2);
        }
      }
      Log(decision, req, answered ? std::to_string(res.status == -1 ? 200 : res.status) : "-", fault);
    };
  }

  void Install(httplib::Server& server) {
    const std::string account = "/v1/accounts/([^/]+)";
    const std::string collection = account + "/collections/([^/]+)";
    server.Get(account + "/state", Guard([this](auto& req, auto& res, auto& a) { State(req, res, a); }));
    server.Put(collection, Guard([this](auto& req, auto& res, auto& a) { PutCollection(req, res, a); }));
    server.Post(collection + "/batch", Guard([this](auto& req, auto& res, auto& a) { Batch(req, res, a); }));
    server.Get(collection + "/inventory", Guard([this](auto& req, auto& res, auto& a) { Inventory(req, res, a); }));
    server.Get(collection + "/items/(.+)", Guard([this](auto& req, auto& res, auto& a) { GetItem(req, res, a); }));
    server.Delete(collection + "/items/(.+)", Guard([this](auto& req, auto& res, auto& a) { DeleteItem(req, res, a); }));
    server.Get(account + "/blobs/([0-9a-f]{64})", Guard([this](auto& req, auto& res, auto& a) { GetBlob(req, res, a); }));
    server.Put(account + "/blobs/([0-9a-f]{64})", Guard([this](auto& req, auto& res, auto& a) { PutBlob(req, res, a); }));
    // Replies go out at once rather than waiting on Nagle for the client's delayed ACK.
    server.set_tcp_nodelay(true);
    server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (res.status == 404 && res.body.empty()) Problem(res, 404, "not-found", "no route for " + req.method + " " + req.path);
      if (res.status == 413) Problem(res, 413, "too-large", "the request body is over the server's limit");
      if (res.status == 400 && res.body.empty()) Problem(res, 400, "bad-request", "malformed HTTP request");
    });
  }

 private:
  // Closes the connection with no answer; if the socket cannot be found,
  // cuts the answer off right after its headers. Returns whether anything
  // (those headers) was sent.
  static bool Drop(const httplib::Request& req, httplib::Response& res) {
    if (DropConnection(req)) return false;
    BreakOff(res, res.body.empty() ? "{}" : res.body, 0);
    return true;
  }

  void Log(const FaultInjector::Decision& decision, const httplib::Request& req, const std::string& status, Fault fault) {
    if (log_ == nullptr) return;
    std::lock_guard<std::mutex> lock(log_mutex_);
    std::fprintf(log_, "%lld %s %s %s %s\n", static_cast<long long>(decision.request), req.method.c_str(),
                 req.path.c_str(), status.c_str(), FaultName(fault));
    std::fflush(log_);
  }

  bool Authenticate(const httplib::Request& req, httplib::Response& res, const std::string& account) {
    const std::string header = req.get_header_value("Authorization");
    if (header.rfind("Bearer ", 0) != 0) {
      Problem(res, 401, "unauthorized", "no bearer token");
      return false;
    }
    Result<std::string> owner = store_.AccountForToken(header.substr(7));
    if (!owner) {
      Problem(res, 401, "unauthorized", "unknown token");
      return false;
    }
    if (*owner != account) {
      Problem(res, 403, "forbidden", "the token does not belong to this account");
      return false;
    }
    return true;
  }

  void State(const httplib::Request&, httplib::Response& res, const std::string& account) {
    Result<AccountState> state = store_.State(account);
    if (!state) return StoreError(res, state.error());
    json collections = json::array();
    for (const CollectionState& c : state->collections) collections.push_back(CollectionJson(c));
    json reupload = nullptr;
    if (state->reupload) {
      reupload = {{"id", state->reupload->id},
                  {"requested_at_ms", state->reupload->requested_at_ms},
                  {"not_before_ms", state->reupload->not_before_ms},
                  {"spread_ms", state->reupload->spread_ms}};
    }
    Json(res, {{"protocol", 1}, {"epoch", state->epoch}, {"collections", collections}, {"reupload", reupload}});
  }

  void PutCollection(const httplib::Request& req, httplib::Response& res, const std::string& account) {
    const std::string id = req.matches[2];
    if (!IsCollectionId(id)) return Problem(res, 400, "bad-request", "bad collection id");
    json body = json::parse(req.body, nullptr, false);
    static const std::set<std::string> kKinds = {"contact", "event", "task", "note", "photo"};
    if (body.is_discarded() || !body.is_object() || !body.contains("kind") || !body["kind"].is_string() ||
        kKinds.count(body["kind"].get<std::string>()) == 0 || !body.contains("name") || !body["name"].is_string()) {
      return Problem(res, 400, "bad-request", "expected {\"kind\": contact|event|task|note|photo, \"name\": string}");
    }
    Result<CollectionState> state = store_.PutCollection(account, id, body["kind"], body["name"]);
    if (!state) return StoreError(res, state.error());
    Json(res, CollectionJson(*state));
  }

  void Batch(const httplib::Request& req, httplib::Response& res, const std::string& account) {
    const std::string collection = req.matches[2];
    if (req.body.size() > kMaxJsonBodyBytes) return Problem(res, 413, "too-large", "batch over 16 MiB");
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return Problem(res, 400, "bad-request", "the body is not a JSON object");
    const json puts = body.value("put", json::array());
    const json deletes = body.value("delete", json::array());
    if (!puts.is_array() || !deletes.is_array()) return Problem(res, 400, "bad-request", "put and delete must be arrays");
    if (puts.size() + deletes.size() > kMaxBatchEntries) return Problem(res, 413, "too-large", "over 1000 entries");
    Status exists = store_.CheckCollection(account, collection);
    if (!exists.ok()) return StoreError(res, exists);
    json put_results = json::array();
    for (const json& entry : puts) {
      json result = {{"uid", entry.is_object() && entry.contains("uid") ? entry["uid"] : json(nullptr)}};
      result["status"] = PutOne(account, collection, entry, &result);
      put_results.push_back(result);
    }
    json delete_results = json::array();
    for (const json& uid : deletes) {
      json result = {{"uid", uid}};
      if (!uid.is_string() || !IsUid(uid.get<std::string>())) {
        result["status"] = "invalid";
      } else {
        Status status = store_.DeleteItem(account, collection, uid.get<std::string>());
        if (!status.ok()) return StoreError(res, status);
        result["status"] = "deleted";
      }
      delete_results.push_back(result);
    }
    Json(res, {{"put", put_results}, {"delete", delete_results}});
  }

  // One entry of a batch's "put"; returns its status word.
  std::string PutOne(const std::string& account, const std::string& collection, const json& entry, json* result) {
    if (!entry.is_object() || !entry.contains("uid") || !entry["uid"].is_string() || !entry.contains("sha256") ||
        !entry["sha256"].is_string()) {
      return "invalid";
    }
    const std::string uid = entry["uid"];
    const std::string sha = entry["sha256"];
    if (!IsUid(uid) || !IsSha256Hex(sha)) return "invalid";
    Result<PutResult> put = Status(ErrorCode::kInternal, "unset");
    if (entry.value("blob", false)) {
      put = store_.PutItemBlob(account, collection, uid, sha);
    } else {
      if (!entry.contains("content_base64") || !entry["content_base64"].is_string()) return "invalid";
      std::optional<std::string> content = platform::Base64Decode(entry["content_base64"].get<std::string>());
      if (!content || content->size() > kMaxInlineContentBytes) return "invalid";
      if (platform::ToHex(platform::Sha256Of(*content)) != sha) return "checksum-mismatch";
      if (drop_this_request || faults_.DrawDrop()) return "stored";  // injected: acknowledged, not kept
      put = store_.PutItem(account, collection, uid, sha, *content);
    }
    if (!put) {
      (*result)["detail"] = put.error().message();
      return "error";
    }
    switch (*put) {
      case PutResult::kStored: return "stored";
      case PutResult::kUnchanged: return "unchanged";
      case PutResult::kMissingBlob: return "missing-blob";
    }
    return "error";
  }

  void Inventory(const httplib::Request& req, httplib::Response& res, const std::string& account) {
    const std::string collection = req.matches[2];
    Status exists = store_.CheckCollection(account, collection);
    if (!exists.ok()) return StoreError(res, exists);
    int limit = kMaxInventoryPage;
    if (req.has_param("limit")) {
      limit = std::atoi(req.get_param_value("limit").c_str());
      if (limit <= 0 || limit > kMaxInventoryPage) return Problem(res, 400, "bad-request", "limit must be 1 to 5000");
    }
    const std::string after = req.has_param("after") ? req.get_param_value("after") : "";
    Result<std::vector<InventoryEntry>> page = store_.Inventory(account, collection, after, limit);
    if (!page) return StoreError(res, page.error());
    json items = json::array();
    for (const InventoryEntry& e : *page) items.push_back({{"uid", e.uid}, {"sha256", e.sha256_hex}});
    json next = static_cast<int>(page->size()) == limit ? json(page->back().uid) : json(nullptr);
    Json(res, {{"items", items}, {"next", next}});
  }

  void GetItem(const httplib::Request& req, httplib::Response& res, const std::string& account) {
    std::string sha;
    Result<std::string> content = store_.ItemContent(account, req.matches[2], req.matches[3], &sha);
    if (!content) return StoreError(res, content.error());
    res.set_header("X-Content-SHA256", sha);
    res.set_content(*content, "application/octet-stream");
  }

  void DeleteItem(const httplib::Request& req, httplib::Response& res, const std::string& account) {
    Status status = store_.DeleteItem(account, req.matches[2], req.matches[3]);
    if (!status.ok()) return StoreError(res, status);
    res.status = 204;
  }

  void GetBlob(const httplib::Request& req, httplib::Response& res, const std::string& account) {
    Result<std::optional<BlobState>> blob = store_.Blob(account, req.matches[2]);
    if (!blob) return StoreError(res, blob.error());
    if (!blob->has_value()) return Problem(res, 404, "not-found", "no such blob");
    Json(res, {{"size", (*blob)->size_bytes}, {"received", (*blob)->received_bytes}, {"complete", (*blob)->complete}});
  }

  void PutBlob(const httplib::Request& req, httplib::Response& res, const std::string& account) {
    if (req.body.size() > kMaxChunkBytes) return Problem(res, 413, "too-large", "a chunk is at most 8 MiB");
    if (!req.has_param("offset") || !req.has_param("size")) {
      return Problem(res, 400, "bad-request", "offset and size are required");
    }
    char* end = nullptr;
    const std::string offset_text = req.get_param_value("offset");
    const std::string size_text = req.get_param_value("size");
    const unsigned long long offset = std::strtoull(offset_text.c_str(), &end, 10);
    if (offset_text.empty() || *end != '\0') return Problem(res, 400, "bad-request", "bad offset");
    const unsigned long long size = std::strtoull(size_text.c_str(), &end, 10);
    if (size_text.empty() || *end != '\0') return Problem(res, 400, "bad-request", "bad size");
    uint64_t held = 0;
    Result<BlobState> state = store_.PutBlobChunk(account, req.matches[2], offset, size, req.body, &held);
    if (!state) {
      if (state.error().code() == ErrorCode::kAlreadyExists) {
        return Problem(res, 409, "offset-mismatch", state.error().message(), {{"offset", held}});
      }
      if (state.error().code() == ErrorCode::kDamageFound) {
        return Problem(res, 422, "checksum-mismatch", state.error().message());
      }
      if (state.error().code() == ErrorCode::kInvalidArgument) {
        return Problem(res, 400, "bad-request", state.error().message());
      }
      return StoreError(res, state.error());
    }
    Json(res, {{"received", state->received_bytes}, {"complete", state->complete}});
  }

  ServerStore& store_;
  FaultInjector& faults_;
  std::FILE* log_;
  std::mutex log_mutex_;
};

Api::Api(ServerStore& store, FaultInjector& faults, std::FILE* request_log)
    : routes_(std::make_unique<Routes>(store, faults, request_log)) {}
Api::~Api() = default;
void Api::Install(httplib::Server& server) { routes_->Install(server); }

}  // namespace holdfast::server
