// A session with one Holdfast-protocol server: the bearer token, the HTTP
// client, and the retry policy of docs/protocol.md. Only HoldfastBackend
// (agent/sync/holdfast_backend.h) talks through it: one per command, shared by
// detection, recovery and push.
//
// Retries: a transport failure, 5xx, 408 or 429 is sent again after a delay
// drawn uniformly from [0, min(cap, base * 2^attempt)] ("full jitter"), at
// least Retry-After when the server gave one, up to max_attempts. A
// Retry-After over 4 x backoff_cap_ms (2 minutes by default) ends the call at
// once with the server's error, naming the wait it asked for. The token
// goes only into the Authorization header: no message carries it.
// Not thread-safe; callbacks run inside Run().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "agent/config.h"
#include "platform/http_client.h"
#include "platform/status.h"

namespace holdfast::agent {

// How a command talks to a remote: the HTTP settings (requests in flight,
// bandwidth limit, timeouts) and the retry policy. One struct from the CLI to
// libcurl: the TLS settings (ca_file, pin_sha256) come from the remote's
// config at Connect and replace what `http` holds.
struct RemoteOptions {
  platform::HttpOptions http;     // max_in_flight, max_send_bytes_per_s (0: unlimited), timeouts
  int max_attempts = 8;           // per request
  int64_t backoff_base_ms = 250;  // first retry waits up to this, doubling up to backoff_cap_ms
  int64_t backoff_cap_ms = 30000;
};

class RemoteClient {
 public:
  // Reads the token (agent::ReadToken) and sets up HTTP. Errors: those of
  // ReadToken; kInvalidArgument for plain http the config does not allow.
  static Result<std::unique_ptr<RemoteClient>> Connect(const RemoteConfig& remote, const RemoteOptions& options);

  // The final answer to a call: a response the caller handles (2xx, or a
  // 4xx other than 401/403/408/429), or the error that ended the retries.
  using Done = std::function<void(Result<platform::HttpResponse>&&)>;
  // `path` is below the account: "/state", "/collections/ID/batch".
  void Call(const std::string& method, const std::string& path, std::string body, const std::string& content_type,
            Done done);
  // Runs calls until none is left. Errors: kInternal from libcurl.
  Status Run();

  // A call made and run on its own.
  Result<platform::HttpResponse> CallNow(const std::string& method, const std::string& path, std::string body = "",
                                         const std::string& content_type = "");

  int64_t retries() const { return retries_; }
  // The last Retry-After an answer carried, in ms (nullopt: none yet).
  std::optional<int64_t> retry_after_ms() const { return retry_after_ms_; }
  const RemoteConfig& remote() const { return remote_; }
  const RemoteOptions& options() const { return options_; }

 private:
  RemoteClient(const RemoteConfig& remote, const RemoteOptions& options, std::string token,
               std::unique_ptr<platform::HttpClient> http);
  void Attempt(platform::HttpRequest request, Done done, int attempt, int64_t delay_ms);
  // The longest Retry-After honoured (4 x backoff_cap_ms); a longer one ends the call.
  int64_t MaxRetryAfterS() const;

  RemoteConfig remote_;
  RemoteOptions options_;
  std::string token_;
  std::string base_url_;
  std::unique_ptr<platform::HttpClient> http_;
  std::mt19937_64 rng_;
  int64_t retries_ = 0;
  std::optional<int64_t> retry_after_ms_;
};

// RFC 3986 percent-encoding of one path segment (everything but unreserved).
std::string EncodePathSegment(std::string_view text);

// The body of a response as JSON. Errors: kServerError ("answered outside
// the protocol") naming what was expected.
Result<nlohmann::json> ParseJsonReply(const platform::HttpResponse& response, std::string_view what);

// A 4xx/5xx answer as an error: its problem+json detail when it has one.
Status ProblemStatus(const platform::HttpResponse& response, std::string_view what);

}  // namespace holdfast::agent
