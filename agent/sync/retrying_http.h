// An HttpClient that sends a request again after a transient failure, for
// the DAV backend (agent/sync/dav_backend.h): the same Submit / Perform /
// RunUntilIdle, so every request the backend makes goes through the policy.
//
// What is sent again: a transport failure (connection refused or reset,
// timeout: ErrorCode::kNetwork), 408, 429, 502, 503 and 504, up to
// RemoteOptions::max_attempts, after a delay drawn from
// [0, min(cap, base * 2^attempt)] ("full jitter"; RetryDelayMs), at least
// the server's Retry-After. Not sent again: 500 and 501 (a DAV server's 500
// is a broken store, e.g. Radicale after its storage folder was deleted, and
// does not pass), TLS failures, refused URLs, answers too large. A Retry-After
// longer than 4 x backoff_cap_ms is not waited for: that answer is the final
// one. The final answer reaches `done` as it came (the caller decides what a
// 503 means: unknown).
//
// Sending a write again is safe for DAV because every write carries a
// precondition: a PUT that did arrive answers 412 the second time and is
// settled by reading the server's version (docs/dav.md, "Conflicts"); a
// DELETE that did arrive answers 404 (deleted); a MKCOL, 405 (exists).
// Not thread-safe; callbacks run inside RunUntilIdle.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>

#include "agent/sync/remote_client.h"
#include "platform/http_client.h"

namespace holdfast::agent {

// The longest wait a server's Retry-After is taken for (7 days): a larger
// or absurd value (a date far ahead, "99999999999") is cut to it.
inline constexpr int64_t kLongestRetryAfterMs = int64_t{7} * 24 * 3600 * 1000;
// A Retry-After in seconds as ms, without overflow, at most kLongestRetryAfterMs.
inline int64_t RetryAfterMsOf(int64_t seconds) {
  return seconds <= 0 ? 0 : seconds >= kLongestRetryAfterMs / 1000 ? kLongestRetryAfterMs : seconds * 1000;
}

class RetryingHttp {
 public:
  RetryingHttp(std::unique_ptr<platform::HttpClient> http, const RemoteOptions& options);

  // As HttpClient::Submit, with the retries above; `done` runs once, with
  // the final answer.
  void Submit(platform::HttpRequest request, platform::HttpClient::Done done, int64_t delay_ms = 0);
  // Submit and RunUntilIdle for one request.
  platform::HttpResponse Perform(platform::HttpRequest request);
  Status RunUntilIdle() { return http_->RunUntilIdle(); }

  // Requests sent again so far.
  int64_t retries() const { return retries_; }
  // The last Retry-After an answer carried, in ms (nullopt: none yet), at
  // most kLongestRetryAfterMs.
  std::optional<int64_t> retry_after_ms() const { return retry_after_ms_; }

 private:
  void Attempt(platform::HttpRequest request, platform::HttpClient::Done done, int attempt, int64_t delay_ms);

  std::unique_ptr<platform::HttpClient> http_;
  RemoteOptions options_;
  std::mt19937_64 rng_;
  int64_t retries_ = 0;
  std::optional<int64_t> retry_after_ms_;
};

// Whether an answer is worth sending the request again for (see the top).
bool TransientDavAnswer(const platform::HttpResponse& response);

// The delay before attempt `attempt` + 1 (full jitter, at least the
// response's Retry-After, at most 4 x backoff_cap_ms); nullopt when the
// server asks for a longer wait than that.
std::optional<int64_t> RetryDelayMs(const RemoteOptions& options, int attempt, const platform::HttpResponse& response,
                                    std::mt19937_64& rng);

}  // namespace holdfast::agent
