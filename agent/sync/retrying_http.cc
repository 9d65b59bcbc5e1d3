#include "agent/sync/retrying_http.h"

#include <algorithm>

namespace holdfast::agent {

bool TransientDavAnswer(const platform::HttpResponse& response) {
  if (!response.transport.ok()) return response.transport.code() == ErrorCode::kNetwork;
  const int s = response.status;
  return s == 408 || s == 429 || s == 502 || s == 503 || s == 504;
}

std::optional<int64_t> RetryDelayMs(const RemoteOptions& options, int attempt, const platform::HttpResponse& response,
                                    std::mt19937_64& rng) {
  const int64_t longest = std::max<int64_t>(options.backoff_cap_ms * 4, 0);
  if (response.retry_after_s && *response.retry_after_s > longest / 1000) return std::nullopt;
  const int64_t ceiling = std::min(options.backoff_cap_ms, options.backoff_base_ms << std::min(attempt, 20));
  int64_t delay = std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(ceiling, 0))(rng);
  if (response.retry_after_s) delay = std::max(delay, *response.retry_after_s * 1000);
  return std::min(delay, longest);
}

RetryingHttp::RetryingHttp(std::unique_ptr<platform::HttpClient> http, const RemoteOptions& options)
    : http_(std::move(http)), options_(options), rng_(std::random_device{}()) {}

void RetryingHttp::Submit(platform::HttpRequest request, platform::HttpClient::Done done, int64_t delay_ms) {
  Attempt(std::move(request), std::move(done), 0, delay_ms);
}

void RetryingHttp::Attempt(platform::HttpRequest request, platform::HttpClient::Done done, int attempt,
                           int64_t delay_ms) {
  platform::HttpRequest copy = request;
  http_->Submit(
      std::move(copy),
      [this, request = std::move(request), done = std::move(done), attempt](platform::HttpResponse&& r) mutable {
        if (r.retry_after_s) retry_after_ms_ = RetryAfterMsOf(*r.retry_after_s);
        if (TransientDavAnswer(r) && attempt + 1 < options_.max_attempts) {
          if (std::optional<int64_t> delay = RetryDelayMs(options_, attempt, r, rng_)) {
            ++retries_;
            return Attempt(std::move(request), std::move(done), attempt + 1, *delay);
          }
        }
        done(std::move(r));
      },
      delay_ms);
}

platform::HttpResponse RetryingHttp::Perform(platform::HttpRequest request) {
  platform::HttpResponse result;
  Submit(std::move(request), [&](platform::HttpResponse&& response) { result = std::move(response); });
  Status status = RunUntilIdle();
  if (!status.ok()) result.transport = status;
  return result;
}

}  // namespace holdfast::agent
