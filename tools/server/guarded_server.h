// An httplib::Server for plain HTTP that a few hostile clients cannot
// starve: it serves each connection itself (instead of httplib's loop) to
// bound the connections one client address may hold at once, and to close a
// connection that sends its request slower than a minimum rate (idle and
// trickling clients). TLS servers (httplib::SSLServer) get the same thread
// pool and timeouts from ConfigureLimits but not these two guards.
//
// Thread-safety: process_and_close_socket runs on the pool's threads; the
// per-address counts are behind a mutex.
#pragma once

#include <httplib.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace holdfast::server {

struct ConnectionLimits {
  size_t worker_threads = 64;                 // connections served at once, all clients together
  size_t max_connections_per_client = 16;     // open connections one address may hold
  int keep_alive_timeout_s = 5;               // idle time between requests before the server closes
  int read_timeout_s = 5;                     // silence in the middle of a request
  int write_timeout_s = 10;
  int request_grace_s = 5;                    // a request may take this long at any rate,
  size_t min_request_bytes_per_s = 1024;      // then must have come at least this fast on average
  size_t keep_alive_max_requests = 1000;
};

// Sets the pool size and httplib's timeouts on either kind of server.
void ConfigureLimits(httplib::Server& server, const ConnectionLimits& limits);

class GuardedServer : public httplib::Server {
 public:
  explicit GuardedServer(const ConnectionLimits& limits) : limits_(limits) { ConfigureLimits(*this, limits); }

 private:
  bool process_and_close_socket(socket_t sock) override;
  // Counts a connection of `address`; false (not counted) when it holds the maximum already.
  bool Admit(const std::string& address);
  void Release(const std::string& address);

  ConnectionLimits limits_;
  std::mutex mutex_;
  std::map<std::string, size_t> open_;  // connections per client address
};

}  // namespace holdfast::server
