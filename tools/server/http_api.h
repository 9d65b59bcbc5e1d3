// The reference server's HTTP routes: docs/protocol.md, version 1, over
// cpp-httplib. Every handler checks the bearer token, bounds what it reads,
// answers errors as application/problem+json, and never lets an exception
// or a bad request take the server down.
#pragma once

#include <httplib.h>

#include <cstdio>
#include <memory>

#include "tools/server/faults.h"
#include "tools/server/server_store.h"

namespace holdfast::server {

inline constexpr size_t kMaxJsonBodyBytes = size_t{16} << 20;
inline constexpr size_t kMaxChunkBytes = size_t{8} << 20;
inline constexpr size_t kMaxInlineContentBytes = size_t{1} << 20;
inline constexpr size_t kMaxBatchEntries = 1000;
inline constexpr int kMaxInventoryPage = 5000;

class Routes;

// The routes of one server. `faults` numbers the requests and decides
// their faults (none for an empty spec).
// `request_log`, if not null, gets one line per protocol request, once it
// is answered: "N METHOD PATH STATUS FAULT" (N as FaultInjector numbers
// the requests, STATUS "-" for a connection closed without an answer).
// `store`, `faults` and `request_log` must outlive the Api, and the Api the server.
class Api {
 public:
  Api(ServerStore& store, FaultInjector& faults, std::FILE* request_log = nullptr);
  ~Api();
  void Install(httplib::Server& server);

 private:
  std::unique_ptr<Routes> routes_;
};

}  // namespace holdfast::server
