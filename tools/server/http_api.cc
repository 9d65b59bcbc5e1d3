#include "tools/server/http_api.h"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "platform/base64.h"
#include "platform/pim/content_line.h"
#include "platform/sha256.h"
#include "platform/wire_text.h"
#include "tools/server/request_checks.h"

namespace holdfast::server {
namespace {

using nlohmann::json;
using Handler = std::function<void(const httplib::Request&, httplib::Response&, const std::string& account)>;

void Problem(httplib::Response& res, int status, const std::string& type, const std::string& detail,
             json extra = json::object()) {
  static const std::map<int, const char*> kTitles = {
      {400, "Bad request"}, {401, "Unauthorized"},   {403, "Forbidden"},          {404, "Not found"},
      {409, "Conflict"},    {413, "Too large"},      {422, "Checksum mismatch"},  {429, "Too many requests"},
      {500, "Internal error"}, {503, "Unavailable"}, {507, "Quota exceeded"}};
  json body = {{"type", "urn:holdfast:problem:" + type},
               {"title", kTitles.count(status) ? kTitles.at(status) : "Error"},
               {"status", status},
               {"detail", detail}};
  for (auto& [key, value] : extra.items()) body[key] = value;
  res.status = status;
  if ((status == 429 || status == 503) && !res.has_header("Retry-After")) res.set_header("Retry-After", "1");
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
  return !uid.empty() && uid.size() <= platform::kMaxWireUidBytes && platform::FromWireText(uid).has_value();
}

bool IsSha256Hex(const std::string& hex) {
  platform::Digest digest;
  return hex.size() == 64 && platform::FromHex(hex, &digest) && platform::ToHex(digest) == hex;
}

json CollectionJson(const CollectionState& c) {
  return {{"id", c.id}, {"kind", c.kind}, {"name", c.name}, {"items", c.items}, {"digest", c.digest}};
}

// Parses a JSON body within `max_bytes` and kMaxJsonDepth; on failure
// answers the problem (413 or 400) and returns a discarded value.
json ParseBody(const std::string& body, size_t max_bytes, httplib::Response& res) {
  if (body.size() > max_bytes) {
    Problem(res, 413, "too-large", "the body is over " + std::to_string(max_bytes) + " bytes");
    return json(json::value_t::discarded);
  }
  if (!JsonDepthWithin(body, kMaxJsonDepth)) {
    Problem(res, 400, "bad-request", "the body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    return json(json::value_t::discarded);
  }
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    Problem(res, 400, "bad-request", "the body is not a JSON object");
    return json(json::value_t::discarded);
  }
  return parsed;
}

// One entry of a batch's "put", checked and decoded before anything is stored.
struct PutEntry {
  json uid;            // as sent, for the answer
  std::string status;  // empty: to store; else the answer already ("invalid", "checksum-mismatch")
  std::string uid_text;
  std::string sha256_hex;
  bool blob = false;
  std::string content;
};

// The type of every field of a put entry; an empty string when right.
std::string PutEntryTypeError(const json& entry, size_t index) {
  const std::string where = "put[" + std::to_string(index) + "]";
  if (!entry.is_object()) return where + " is not an object";
  for (const char* field : {"uid", "sha256", "content_base64"}) {
    if (entry.contains(field) && !entry[field].is_string()) return where + "." + field + " is not a string";
  }
  if (entry.contains("blob") && !entry["blob"].is_boolean()) return where + ".blob is not a boolean";
  return "";
}

PutEntry DecodePut(const json& entry) {
  PutEntry put;
  put.uid = entry.contains("uid") ? entry["uid"] : json(nullptr);
  put.status = "invalid";
  if (!entry.contains("uid") || !entry.contains("sha256")) return put;
  put.uid_text = entry["uid"].get<std::string>();
  put.sha256_hex = entry["sha256"].get<std::string>();
  if (!IsUid(put.uid_text) || !IsSha256Hex(put.sha256_hex)) return put;
  put.blob = entry.contains("blob") && entry["blob"].get<bool>();
  if (put.blob && entry.contains("content_base64")) return put;  // which of the two is meant: invalid
  if (!put.blob) {
    if (!entry.contains("content_base64")) return put;
    std::optional<std::string> content = platform::Base64Decode(entry["content_base64"].get<std::string>());
    if (!content || content->size() > kMaxInlineContentBytes) return put;
    if (platform::ToHex(platform::Sha256Of(*content)) != put.sha256_hex) {
      put.status = "checksum-mismatch";
      return put;
    }
    put.content = std::move(*content);
  }
  put.status.clear();
  return put;
}

// Failed authentications per client address (see kMaxAuthFailures).
class AuthThrottle {
 public:
  // Seconds the address must still wait; 0 when it may try.
  int64_t WaitS(const std::string& address, int64_t now_s) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = failures_.find(address);
    if (it == failures_.end() || it->second.count < kMaxAuthFailures) return 0;
    const int64_t left = it->second.last_s + kAuthWindowS - now_s;
    if (left > 0) return left;
    failures_.erase(it);
    return 0;
  }

  void Failed(const std::string& address, int64_t now_s) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failures_.size() >= kMaxTracked) Forget(now_s);
    Entry& entry = failures_[address];
    if (now_s - entry.first_s > kAuthWindowS && entry.count < kMaxAuthFailures) entry = Entry{now_s, now_s, 0};
    ++entry.count;
    entry.last_s = now_s;
  }

 private:
  struct Entry {
    int64_t first_s = 0;
    int64_t last_s = 0;
    int count = 0;
  };
  static constexpr size_t kMaxTracked = 100000;

  // Drops addresses whose last failure is over a window old; if that is not
  // enough, all of them (the map's size stays bounded).
  void Forget(int64_t now_s) {
    std::erase_if(failures_, [now_s](const auto& item) { return now_s - item.second.last_s > kAuthWindowS; });
    if (failures_.size() >= kMaxTracked) failures_.clear();
  }

  std::mutex mutex_;
  std::map<std::string, Entry> failures_;
};

int64_t NowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A store error as an HTTP answer.
void StoreError(httplib::Response& res, const Status& status) {
  if (status.code() == ErrorCode::kNotFound) return Problem(res, 404, "not-found", status.message());
  if (status.code() == ErrorCode::kVaultLocked) return Problem(res, 503, "unavailable", "the store is busy");
  if (status.code() == ErrorCode::kNoSpace) return Problem(res, 507, "no-space", "the server's disk is full");
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
  Routes(ServerStore& store, FaultInjector& faults, std::FILE* log, AccountQuota quota, Capacity capacity)
      : store_(store), faults_(faults), log_(log), quota_(quota), capacity_(capacity) {}

  // Wraps a handler: faults, authentication, no exception escaping, the log.
  httplib::Server::Handler Guard(Handler handler) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
      const FaultInjector::Decision decision = faults_.Next();
      InflightSlot slot(inflight_);
      if (capacity_.max_inflight > 0 && slot.count() > capacity_.max_inflight) {
        res.set_header("Retry-After", std::to_string(capacity_.retry_after_s));
        Problem(res, 429, "rate-limited",
                "the server is at its capacity of " + std::to_string(capacity_.max_inflight) + " requests at once");
        return Log(decision, req, "429", Fault::kNone);
      }
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

  // The token must be the account's (compared in constant time by the
  // store). A client address with too many failures gets 429 first.
  bool Authenticate(const httplib::Request& req, httplib::Response& res, const std::string& account) {
    if (const int64_t wait_s = throttle_.WaitS(req.remote_addr, NowS()); wait_s > 0) {
      res.set_header("Retry-After", std::to_string(wait_s));
      Problem(res, 429, "rate-limited", "too many failed authentications from this address");
      return false;
    }
    const std::string header = req.get_header_value("Authorization");
    if (header.rfind("Bearer ", 0) != 0) {
      throttle_.Failed(req.remote_addr, NowS());
      Problem(res, 401, "unauthorized", "no bearer token");
      return false;
    }
    const std::string token = header.substr(7);
    Result<bool> matches = store_.TokenMatches(account, token);
    if (!matches) {
      StoreError(res, matches.error());
      return false;
    }
    if (*matches) return true;
    Result<std::string> owner = store_.AccountForToken(token);
    if (!owner) {
      throttle_.Failed(req.remote_addr, NowS());
      Problem(res, 401, "unauthorized", "unknown token");
      return false;
    }
    Problem(res, 403, "forbidden", "the token does not belong to this account");
    return false;
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
    json body = ParseBody(req.body, kMaxCollectionBodyBytes, res);
    if (body.is_discarded()) return;
    static const std::set<std::string> kKinds = {"contact", "event", "task", "note", "photo"};
    if (!body.contains("kind") || !body["kind"].is_string() ||
        kKinds.count(body["kind"].get<std::string>()) == 0 || !body.contains("name") || !body["name"].is_string()) {
      return Problem(res, 400, "bad-request", "expected {\"kind\": contact|event|task|note|photo, \"name\": string}");
    }
    Result<CollectionState> state = store_.PutCollection(account, id, body["kind"], body["name"]);
    if (!state && state.error().code() == ErrorCode::kAlreadyExists) {
      return Problem(res, 409, "kind-conflict", state.error().message());
    }
    if (!state) return StoreError(res, state.error());
    Json(res, CollectionJson(*state));
  }

  // Every entry is checked and decoded, and the quota checked, before the
  // first is stored: a bad field type or a batch over the quota stores nothing.
  void Batch(const httplib::Request& req, httplib::Response& res, const std::string& account) {
    const std::string collection = req.matches[2];
    json body = ParseBody(req.body, kMaxJsonBodyBytes, res);
    if (body.is_discarded()) return;
    const json puts = body.contains("put") ? body["put"] : json::array();
    const json deletes = body.contains("delete") ? body["delete"] : json::array();
    if (!puts.is_array() || !deletes.is_array()) return Problem(res, 400, "bad-request", "put and delete must be arrays");
    if (puts.size() + deletes.size() > kMaxBatchEntries) return Problem(res, 413, "too-large", "over 1000 entries");
    std::vector<PutEntry> entries;
    std::vector<std::pair<std::string, uint64_t>> writes;  // (uid, inline bytes) of the entries to store
    for (size_t i = 0; i < puts.size(); ++i) {
      const std::string error = PutEntryTypeError(puts[i], i);
      if (!error.empty()) return Problem(res, 400, "bad-request", error + "; nothing was stored");
      entries.push_back(DecodePut(puts[i]));
      if (entries.back().status.empty()) writes.emplace_back(entries.back().uid_text, entries.back().content.size());
    }
    for (size_t i = 0; i < deletes.size(); ++i) {
      if (!deletes[i].is_string()) {
        return Problem(res, 400, "bad-request", "delete[" + std::to_string(i) + "] is not a string; nothing was stored");
      }
    }
    Status exists = store_.CheckCollection(account, collection);
    if (!exists.ok()) return StoreError(res, exists);
    Result<AccountUsage> usage = store_.UsageAfter(account, collection, writes);
    if (!usage) return StoreError(res, usage.error());
    if (!WithinQuota(*usage, 0, res)) return;
    // Refusals decided from the request alone are answered without a write;
    // the rest goes to the store as one transaction (ApplyBatch).
    std::vector<BatchPut> to_store;
    for (const PutEntry& entry : entries) {
      if (!entry.status.empty()) continue;
      // The drop fault: an inline item answered "stored" and not kept.
      const bool keep = entry.blob || !(drop_this_request || faults_.DrawDrop());
      to_store.push_back(BatchPut{entry.uid_text, entry.sha256_hex, entry.blob, entry.content, keep});
    }
    std::vector<std::string> to_delete;
    for (const json& uid : deletes) {
      if (IsUid(uid.get<std::string>())) to_delete.push_back(uid.get<std::string>());
    }
    Result<std::vector<PutResult>> stored = faults_.CommitEachMs() > 0
                                                ? ApplyEntryByEntry(account, collection, to_store, to_delete)
                                                : store_.ApplyBatch(account, collection, to_store, to_delete);
    if (!stored) return StoreError(res, stored.error());
    json put_results = json::array();
    size_t next = 0;
    for (const PutEntry& entry : entries) {
      json result = {{"uid", entry.uid}};
      result["status"] = entry.status.empty() ? PutStatusWord((*stored)[next++]) : entry.status;
      put_results.push_back(result);
    }
    json delete_results = json::array();
    for (const json& uid : deletes) {
      delete_results.push_back({{"uid", uid}, {"status", IsUid(uid.get<std::string>()) ? "deleted" : "invalid"}});
    }
    Json(res, {{"put", put_results}, {"delete", delete_results}});
  }

  // The commit_each_ms fault: the batch's entries committed one at a time,
  // that many ms apart, so that a server killed meanwhile leaves part of a
  // batch (what ApplyBatch exists to prevent).
  Result<std::vector<PutResult>> ApplyEntryByEntry(const std::string& account, const std::string& collection,
                                                   const std::vector<BatchPut>& puts,
                                                   const std::vector<std::string>& deletes) {
    std::vector<PutResult> results;
    for (const BatchPut& put : puts) {
      Result<std::vector<PutResult>> one = store_.ApplyBatch(account, collection, {put}, {});
      if (!one) return one.error();
      results.push_back(one->front());
      std::this_thread::sleep_for(std::chrono::milliseconds(faults_.CommitEachMs()));
    }
    for (const std::string& uid : deletes) {
      Result<std::vector<PutResult>> one = store_.ApplyBatch(account, collection, {}, {uid});
      if (!one) return one.error();
    }
    return results;
  }

  // Whether `usage` plus `more_bytes` is within the account's quota; answers 507 if not.
  bool WithinQuota(const AccountUsage& usage, uint64_t more_bytes, httplib::Response& res) {
    if (usage.bytes + more_bytes > quota_.max_bytes) {
      Problem(res, 507, "quota", "the account would hold " + std::to_string(usage.bytes + more_bytes) +
                                     " bytes, over its quota of " + std::to_string(quota_.max_bytes),
              {{"quota_bytes", quota_.max_bytes}});
      return false;
    }
    if (usage.items > quota_.max_items) {
      Problem(res, 507, "quota", "the account would hold " + std::to_string(usage.items) +
                                     " items, over its quota of " + std::to_string(quota_.max_items),
              {{"quota_items", quota_.max_items}});
      return false;
    }
    return true;
  }

  static const char* PutStatusWord(PutResult result) {
    switch (result) {
      case PutResult::kStored: return "stored";
      case PutResult::kUnchanged: return "unchanged";
      case PutResult::kMissingBlob: return "missing-blob";
    }
    return "invalid";
  }

  void Inventory(const httplib::Request& req, httplib::Response& res, const std::string& account) {
    const std::string collection = req.matches[2];
    Status exists = store_.CheckCollection(account, collection);
    if (!exists.ok()) return StoreError(res, exists);
    int limit = kMaxInventoryPage;
    if (req.has_param("limit")) {
      const std::optional<uint64_t> asked = ParseDecimal(req.get_param_value("limit"), kMaxInventoryPage);
      limit = asked ? static_cast<int>(*asked) : 0;
      if (limit <= 0) return Problem(res, 400, "bad-request", "limit must be 1 to 5000");
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
    const std::optional<uint64_t> size = ParseDecimal(req.get_param_value("size"), kMaxBlobBytes);
    if (!size) return Problem(res, 400, "bad-request", "size must be decimal digits, at most " + std::to_string(kMaxBlobBytes));
    const std::optional<uint64_t> offset = ParseDecimal(req.get_param_value("offset"), *size);
    if (!offset) return Problem(res, 400, "bad-request", "offset must be decimal digits, at most the size");
    Result<AccountUsage> usage = store_.UsageAfter(account, "", {});
    if (!usage) return StoreError(res, usage.error());
    if (!WithinQuota(*usage, req.body.size(), res)) return;
    uint64_t held = 0;
    Result<BlobState> state = store_.PutBlobChunk(account, req.matches[2], *offset, *size, req.body, &held);
    if (!state) {
      if (state.error().code() == ErrorCode::kAlreadyExists) {
        if (faults_.OffsetMismatchAnswers200()) return Json(res, {{"received", held}, {"complete", false}});  // injected
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

  // Counts the requests being handled while it lives (this one included).
  class InflightSlot {
   public:
    explicit InflightSlot(std::atomic<int>& inflight) : inflight_(inflight), count_(++inflight) {}
    ~InflightSlot() { --inflight_; }
    InflightSlot(const InflightSlot&) = delete;
    InflightSlot& operator=(const InflightSlot&) = delete;
    int count() const { return count_; }

   private:
    std::atomic<int>& inflight_;
    int count_;
  };

  ServerStore& store_;
  FaultInjector& faults_;
  std::FILE* log_;
  AccountQuota quota_;
  Capacity capacity_;
  std::atomic<int> inflight_{0};
  AuthThrottle throttle_;
  std::mutex log_mutex_;
};

Api::Api(ServerStore& store, FaultInjector& faults, std::FILE* request_log, AccountQuota quota, Capacity capacity)
    : routes_(std::make_unique<Routes>(store, faults, request_log, quota, capacity)) {}
Api::~Api() = default;
void Api::Install(httplib::Server& server) { routes_->Install(server); }

}  // namespace holdfast::server
