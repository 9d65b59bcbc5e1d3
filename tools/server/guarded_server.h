// An httplib::Server, for plain HTTP or HTTPS, that a few hostile clients
// cannot starve: it serves each connection itself (instead of httplib's loop)
// to bound the connections one client address may hold at once, and to close
// a connection that sends its request slower than a minimum rate (idle and
// trickling clients). With TLS (UseTls) the same guards apply: a connection is
// admitted before its handshake, the handshake must end within the grace
// period, and the rate counts the decrypted request bytes.
//
// Thread-safety: process_and_close_socket runs on the pool's threads; the
// per-address counts are behind a mutex. The TLS context is set before
// listening and only read afterwards.
#pragma once

#include <httplib.h>
#include <openssl/ssl.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "platform/status.h"

namespace holdfast::server {

struct ConnectionLimits {
  size_t worker_threads = 64;                 // connections served at once, all clients together
  size_t max_connections_per_client = 16;     // open connections one address may hold
  int keep_alive_timeout_s = 5;               // idle time between requests before the server closes
  int read_timeout_s = 5;                     // silence in the middle of a request
  int write_timeout_s = 10;
  int request_grace_s = 5;                    // a request (or a TLS handshake) may take this long at any rate,
  size_t min_request_bytes_per_s = 1024;      // then must have come at least this fast on average
  size_t keep_alive_max_requests = 1000;
};

class GuardedServer : public httplib::Server {
 public:
  // Sets the pool size and httplib's timeouts from `limits`.
  explicit GuardedServer(const ConnectionLimits& limits);

  // Serves HTTPS from now on: TLS 1.2 at least, with the PEM certificate
  // chain in `cert_file` and the PEM private key in `key_file`. Call before
  // listening. Errors: kInvalidArgument when either does not load or they do
  // not match (OpenSSL's reason in the message); the server is unchanged then.
  [[nodiscard]] Status UseTls(const std::string& cert_file, const std::string& key_file);

  // Lets `backlog` connections wait to be accepted on the socket bound to
  // `port` (call after binding). httplib listens with a backlog of 5: a burst
  // of devices connecting at once would otherwise see SYNs dropped and wait
  // for their retransmission (1 s, 3 s, 7 s...). httplib keeps the socket to
  // itself, so it is found by its port. Errors: kNotFound, kIoError.
  [[nodiscard]] static Status WidenBacklog(int port, int backlog);

 private:
  bool process_and_close_socket(socket_t sock) override;
  // Counts a connection of `address`; false (not counted) when it holds the maximum already.
  bool Admit(const std::string& address);
  void Release(const std::string& address);

  ConnectionLimits limits_;
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> tls_{nullptr, &SSL_CTX_free};  // null: plain HTTP
  std::mutex mutex_;
  std::map<std::string, size_t> open_;  // connections per client address
};

}  // namespace holdfast::server
