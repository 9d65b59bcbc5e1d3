// The reference server's HTTP routes: docs/protocol.md, version 1, over
// cpp-httplib. Every handler checks the bearer token, bounds what it reads,
// answers errors as application/problem+json, and never lets an exception
// or a bad request take the server down.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <cstdio>
#include <memory>

#include "tools/server/faults.h"
#include "tools/server/server_store.h"

namespace holdfast::server {

inline constexpr size_t kMaxJsonBodyBytes = size_t{16} << 20;
inline constexpr size_t kMaxCollectionBodyBytes = size_t{64} << 10;
inline constexpr int kMaxJsonDepth = 32;
inline constexpr uint64_t kMaxBlobBytes = uint64_t{64} << 30;
// Failed authentications from one client address: after kMaxAuthFailures
// within kAuthWindowS seconds, every request from it gets 429 until
// kAuthWindowS seconds after the last failure.
inline constexpr int kMaxAuthFailures = 20;
inline constexpr int kAuthWindowS = 60;
inline constexpr size_t kMaxChunkBytes = size_t{8} << 20;
inline constexpr size_t kMaxInlineContentBytes = size_t{1} << 20;
inline constexpr size_t kMaxBatchEntries = 1000;
inline constexpr int kMaxInventoryPage = 5000;

class Routes;

// The server's stated capacity: at most `max_inflight` protocol requests
// being handled at once (all accounts together; 0: no limit). A request
// beyond it is answered at once with 429 rate-limited and Retry-After
// `retry_after_s`, instead of waiting behind the others.
struct Capacity {
  int max_inflight = 0;
  int retry_after_s = 1;
};

// What one account may hold: inline item bytes plus blob bytes received,
// and items. Writes that would go over get 507 (docs/protocol.md).
struct AccountQuota {
  uint64_t max_bytes = uint64_t{16} << 30;
  uint64_t max_items = 1000000;
};

// The routes of one server. `faults` numbers the requests and decides
// their faults (none for an empty spec).
// `request_log`, if not null, gets one line per protocol request, once it
// is answered: "N METHOD PATH STATUS FAULT" (N as FaultInjector numbers
// the requests, STATUS "-" for a connection closed without an answer).
// `store`, `faults` and `request_log` must outlive the Api, and the Api the server.
class Api {
 public:
  Api(ServerStore& store, FaultInjector& faults, std::FILE* request_log = nullptr, AccountQuota quota = {},
      Capacity capacity = {});
  ~Api();
  void Install(httplib::Server& server);

 private:
  std::unique_ptr<Routes> routes_;
};

}  // namespace holdfast::server
