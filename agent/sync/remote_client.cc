#include "agent/sync/remote_client.h"

#include <algorithm>

#include "agent/sync/retrying_http.h"

namespace holdfast::agent {
namespace {

bool Retryable(const Result<platform::HttpResponse>& response) {
  if (!response) return false;
  if (!response->transport.ok()) {
    return response->transport.code() == ErrorCode::kNetwork || response->transport.code() == ErrorCode::kServerError;
  }
  const int s = response->status;
  return s >= 500 || s == 408 || s == 429;
}

}  // namespace

std::string EncodePathSegment(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<nlohmann::json> ParseJsonReply(const platform::HttpResponse& response, std::string_view what) {
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return Status(ErrorCode::kServerError,
                  std::string(what) + ": the server answered outside the protocol (HTTP " +
                      std::to_string(response.status) + ", not a JSON object)");
  }
  return body;
}

Status ProblemStatus(const platform::HttpResponse& response, std::string_view what) {
  std::string detail;
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("detail") && body["detail"].is_string()) {
    detail = ": " + body["detail"].get<std::string>();
  }
  const ErrorCode code = response.status == 401 || response.status == 403 ? ErrorCode::kAuthFailed
                         : response.status >= 500                          ? ErrorCode::kServerError
                         : response.status == 404                          ? ErrorCode::kNotFound
                                                                           : ErrorCode::kServerError;
  return Status(code, std::string(what) + ": HTTP " + std::to_string(response.status) + detail);
}

RemoteClient::RemoteClient(const RemoteConfig& remote, const RemoteOptions& options, std::string token,
                           std::unique_ptr<platform::HttpClient> http)
    : remote_(remote),
      options_(options),
      token_(std::move(token)),
      base_url_(remote.url + "/v1/accounts/" + EncodePathSegment(remote.account)),
      http_(std::move(http)),
      rng_(std::random_device{}()) {}

Result<std::unique_ptr<RemoteClient>> RemoteClient::Connect(const RemoteConfig& remote, const RemoteOptions& options) {
  // Checked again here: the config may be edited by hand.
  Result<std::string> url = CheckedRemoteUrl(remote, remote.url, "url");
  if (!url) return url.error();
  Result<std::string> token = ReadToken(remote);
  if (!token) return token.error();
  platform::HttpOptions http = options.http;
  http.ca_file = remote.ca_file;
  http.pin_sha256 = remote.pin_sha256;
  Result<std::unique_ptr<platform::HttpClient>> client = platform::HttpClient::Create(http);
  if (!client) return client.error();
  return std::unique_ptr<RemoteClient>(new RemoteClient(remote, options, std::move(*token), std::move(*client)));
}

int64_t RemoteClient::MaxRetryAfterS() const { return std::max<int64_t>(options_.backoff_cap_ms * 4, 0) / 1000; }

void RemoteClient::Attempt(platform::HttpRequest request, Done done, int attempt, int64_t delay_ms) {
  platform::HttpRequest copy = request;
  http_->Submit(
      std::move(copy),
      [this, request = std::move(request), done = std::move(done), attempt](platform::HttpResponse&& response) mutable {
        Result<platform::HttpResponse> result(std::move(response));
        if (result->retry_after_s) retry_after_ms_ = RetryAfterMsOf(*result->retry_after_s);
        const std::string what = request.method + " " + request.url.substr(remote_.url.size());
        if (Retryable(result) && attempt + 1 < options_.max_attempts) {
          if (const std::optional<int64_t> asked = result->retry_after_s; asked && *asked > MaxRetryAfterS()) {
            // Waiting that long would hold the vault lock for hours; waiting
            // less would ignore the server. Give up now and say why.
            Status error = result->transport.ok() ? ProblemStatus(*result, what) : result->transport;
            done(error.WithContext("the server asks to retry after " + std::to_string(*asked) +
                                   " s (Retry-After), longer than the " + std::to_string(MaxRetryAfterS()) +
                                   " s this run waits; try again later"));
            return;
          }
          ++retries_;
          // Not nullopt: a Retry-After over MaxRetryAfterS() ended the call above.
          const int64_t delay = RetryDelayMs(options_, attempt, *result, rng_).value_or(MaxRetryAfterS() * 1000);
          Attempt(std::move(request), std::move(done), attempt + 1, delay);
          return;
        }
        if (!result->transport.ok()) {
          Status error = result->transport;
          if (Retryable(result)) error = error.WithContext("after " + std::to_string(attempt + 1) + " attempts");
          done(error);
          return;
        }
        const int s = result->status;
        if (s == 401 || s == 403 || s >= 500 || s == 408 || s == 429) {
          Status error = ProblemStatus(*result, what);
          if (s >= 500 || s == 408 || s == 429) error = error.WithContext("after " + std::to_string(attempt + 1) + " attempts");
          done(error);
          return;
        }
        done(std::move(result));
      },
      delay_ms);
}

void RemoteClient::Call(const std::string& method, const std::string& path, std::string body,
                        const std::string& content_type, Done done) {
  platform::HttpRequest request;
  request.method = method;
  request.url = base_url_ + path;
  request.headers.push_back("Authorization: Bearer " + token_);
  request.headers.push_back("Accept: application/json");
  if (!content_type.empty()) request.headers.push_back("Content-Type: " + content_type);
  request.body = std::move(body);
  Attempt(std::move(request), std::move(done), 0, 0);
}

Status RemoteClient::Run() { return http_->RunUntilIdle(); }

Result<platform::HttpResponse> RemoteClient::CallNow(const std::string& method, const std::string& path,
                                                     std::string body, const std::string& content_type) {
  Result<platform::HttpResponse> result = Status(ErrorCode::kInternal, "no answer");
  Call(method, path, std::move(body), content_type, [&](Result<platform::HttpResponse>&& r) { result = std::move(r); });
  HF_RETURN_IF_ERROR(Run());
  return result;
}

}  // namespace holdfast::agent
