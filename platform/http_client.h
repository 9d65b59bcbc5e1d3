// HTTP through libcurl's multi interface: the only code that includes
// <curl/curl.h>. Several transfers in flight over reused connections, each
// request optionally delayed (for backoff), all driven from one thread.
// TLS is 1.2 or later, verified, optionally pinned to a public key. Each
// request's URL is parsed once by curl_url and the transfer is given that
// parsed handle (CURLOPT_CURLU); a URL with user info or a fragment, or one
// curl would rewrite, fails as kInvalidArgument without connecting.
//
// curl_global_init must have run (main() does it) before Create. Not
// thread-safe: one HttpClient per thread; callbacks run inside RunUntilIdle,
// on the calling thread. The client never logs: request headers (and so
// bearer tokens and Basic credentials) appear in no message it returns, and a
// URL in a message has its user info and query replaced by "***".
//
// Any method is sent as given (GET, HEAD, PUT, POST, DELETE, PROPFIND, REPORT,
// MKCOL, MKCALENDAR, ...), with the request's body when it has one. No request
// carries "Expect: 100-continue" (libcurl adds it by default to bodies over
// 1 MiB; it is switched off here, and a caller's own Expect header is dropped),
// nor a Content-Type the caller did not set. Redirects are not followed: a 3xx
// comes back with its Location header.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace holdfast::platform {

struct HttpRequest {
  // Any token method: GET, HEAD, PUT, POST, DELETE, PROPFIND, REPORT, MKCOL,
  // MKCALENDAR, ... A method that is not an RFC 9110 token (empty, spaces,
  // control bytes) fails as kInvalidArgument without connecting.
  std::string method = "GET";
  std::string url;
  // "Name: value" lines, sent as given (Depth, If-Match, Content-Type,
  // Authorization...). An "Expect" line is dropped; a line holding CR or LF
  // fails the request as kInvalidArgument (no header injection).
  std::vector<std::string> headers;
  // Sent with every method but GET and HEAD; an empty body goes as
  // "Content-Length: 0" except with DELETE, which then has no body at all.
  std::string body;
};

// A response header: the name in lower case, the value without surrounding
// white space.
struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpResponse {
  // OK when a whole response arrived (whatever its status). Otherwise the
  // transfer failed: kNetwork (unreachable, reset, timed out, cut short),
  // kTlsFailure (the certificate was not accepted), kServerError (a reply
  // that is not HTTP, or over max_response_bytes).
  Status transport;
  int status = 0;
  std::string body;
  std::string content_type;
  std::optional<int64_t> retry_after_s;  // Retry-After in seconds, when given
  // The final response's headers in the order received (those of an interim
  // 1xx or of a 401 curl answered are dropped). Bounded: at most
  // kMaxResponseHeaders lines and kMaxResponseHeaderBytes of names and values
  // together; lines past either bound are left out (they are not an error).
  std::vector<HttpHeader> headers;

  // The value of the first header called `name` (any case), or nullopt.
  // E.g. Header("ETag"), Header("Location"), Header("DAV").
  std::optional<std::string> Header(std::string_view name) const;
  // All values of the headers called `name` (any case), in order: a header
  // sent on several lines (DAV) comes back as several values.
  std::vector<std::string> HeaderValues(std::string_view name) const;

  static constexpr size_t kMaxResponseHeaders = 128;
  static constexpr size_t kMaxResponseHeaderBytes = size_t{64} << 10;
};

struct HttpOptions {
  std::string ca_file;               // PEM bundle to verify the server with; empty: the system's
  // Base64 SHA-256 of the server's public key (SubjectPublicKeyInfo); empty:
  // no pin. A server with another key fails the handshake (kTlsFailure)
  // before any request, and so any header, is sent.
  std::string pin_sha256;
  int max_in_flight = 4;             // transfers at once
  int64_t connect_timeout_ms = 10000;
  int64_t transfer_timeout_ms = 120000;  // one request, start to end
  int64_t low_speed_window_s = 30;       // a transfer slower than 1 byte/s this long is abandoned
  int64_t max_send_bytes_per_s = 0;      // all transfers together; 0: unlimited
  size_t max_response_bytes = size_t{64} << 20;
};

class HttpClient {
 public:
  // Errors: kInternal if libcurl cannot be set up.
  static Result<std::unique_ptr<HttpClient>> Create(const HttpOptions& options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  using Done = std::function<void(HttpResponse&&)>;
  // Queues `request`, to start no sooner than delay_ms from now; `done` runs
  // when it ends, from RunUntilIdle. Callbacks may submit more requests.
  void Submit(HttpRequest request, Done done, int64_t delay_ms = 0);
  // Runs transfers until none is queued or in flight. Errors: kInternal when
  // libcurl's multi interface fails (transfer failures go to their callbacks).
  Status RunUntilIdle();
  // Submit and RunUntilIdle for one request.
  HttpResponse Perform(HttpRequest request);

 private:
  explicit HttpClient(const HttpOptions& options);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "Authorization: Basic base64(user:password)" (RFC 7617, UTF-8 as given).
// Errors: kInvalidArgument when `user` holds a ':' or either holds a CR, LF
// or NUL (the message names neither value).
Result<std::string> BasicAuthHeader(std::string_view user, std::string_view password);

// `url` with its user info, query and fragment replaced by "***": what a
// message may show of a URL ("https://***@host/a?***"). Text without a
// "scheme://" is read as host and path, the same way.
std::string RedactUrl(std::string_view url);

// libcurl's global set-up: once, from main(), before any other thread runs.
// Errors: kInternal.
Status InitHttpLibrary();

// A server's base URL as libcurl reads it: the one parser that both decides
// (plain http only to loopback) and connects.
struct ServerUrl {
  std::string url;     // curl's own serialisation; what requests are built on
  std::string scheme;  // "http" or "https"
  std::string host;    // as curl reads it; an IPv6 address in brackets
  bool loopback = false;  // host is localhost, 127.0.0.0/8 or [::1]
};

// Parses `url` with libcurl's URL parser (curl_url). Errors: kInvalidArgument
// when it does not parse, the scheme is not http or https, or it holds user
// info, a query, a fragment, or anything curl would write back differently
// (so that what is checked is what is connected to). A bare host gets the
// path "/" and a trailing "/" is dropped from `url`.
Result<ServerUrl> ParseServerUrl(std::string_view url);

}  // namespace holdfast::platform
