#include "platform/http_client.h"

#include <curl/curl.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <map>

#include "platform/base64.h"
#include "platform/clock.h"
#include "platform/pim/content_line.h"  // EqualsIgnoreCase
#include "platform/stop_request.h"

namespace holdfast::platform {
namespace {

struct EasyDeleter {
  void operator()(CURL* e) const { curl_easy_cleanup(e); }
};
struct MultiDeleter {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

// One part of a parsed URL; nullopt when the URL has none.
std::optional<std::string> UrlPart(CURLU* url, CURLUPart part) {
  char* text = nullptr;
  const CURLUcode rc = curl_url_get(url, part, &text, 0);
  if (rc != CURLUE_OK || text == nullptr) return std::nullopt;
  std::string out(text);
  curl_free(text);
  return out;
}

// Parses `url` with curl's parser and refuses whatever could make the host
// curl connects to differ from the host a reader of the text would check:
// user info ("a@b"), fragments ("#@b"), schemes other than http(s), and any
// text curl writes back differently (decoded dots, numeric hosts, case).
Result<UrlHandle> ParseStrict(std::string_view url, bool allow_query, std::string* canonical) {
  const std::string text(url);
  auto refuse = [&](const std::string& why) {
    return Status(ErrorCode::kInvalidArgument, "URL '" + RedactUrl(text) + "': " + why);
  };
  if (text.find('\0') != std::string::npos) return refuse("holds a NUL byte");
  UrlHandle handle(curl_url());
  if (!handle) return Status(ErrorCode::kInternal, "curl_url failed");
  const CURLUcode rc = curl_url_set(handle.get(), CURLUPART_URL, text.c_str(), 0);
  if (rc != CURLUE_OK) return refuse(curl_url_strerror(rc));
  const std::optional<std::string> scheme = UrlPart(handle.get(), CURLUPART_SCHEME);
  if (!scheme || (*scheme != "http" && *scheme != "https")) return refuse("the scheme must be http or https");
  for (CURLUPart part : {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS}) {
    if (UrlPart(handle.get(), part)) return refuse("user info (\"...@\") is not allowed");
  }
  if (UrlPart(handle.get(), CURLUPART_FRAGMENT)) return refuse("a fragment (\"#...\") is not allowed");
  if (!allow_query && UrlPart(handle.get(), CURLUPART_QUERY)) return refuse("a query (\"?...\") is not allowed");
  std::optional<std::string> whole = UrlPart(handle.get(), CURLUPART_URL);
  if (!whole) return refuse("curl cannot write it back");
  if (*whole != text && *whole != text + "/") return refuse("curl reads it as '" + RedactUrl(*whole) + "'");
  *canonical = std::move(*whole);
  return handle;
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  // curl writes IPv4 addresses back as four decimal parts.
  if (host.substr(0, 4) != "127.") return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

Status TransportStatus(CURLcode code, const char* detail, const std::string& url) {
  std::string text = std::string(curl_easy_strerror(code));
  if (detail != nullptr && detail[0] != '\0') text += " (" + std::string(detail) + ")";
  const std::string message = RedactUrl(url) + ": " + text;
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return Status(ErrorCode::kTlsFailure, message);
    case CURLE_URL_MALFORMAT:
      return Status(ErrorCode::kInvalidArgument, message);
    case CURLE_UNSUPPORTED_PROTOCOL:  // also an answer that is not HTTP (HTTP/0.9)
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_WRITE_ERROR:
      return Status(ErrorCode::kServerError, message);
    default:
      return Status(ErrorCode::kNetwork, message);
  }
}

// An RFC 9110 token: what a method name may be.
bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  for (unsigned char c : text) {
    if (std::isalnum(c)) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos) return false;
  }
  return true;
}

// The name of a "Name: value" request line, without surrounding blanks.
std::string_view HeaderName(std::string_view line) {
  std::string_view name = line.substr(0, line.find(':'));
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
  return name;
}

// Why `request` cannot be sent, or empty. The message names no header value.
std::string RequestProblem(const HttpRequest& request) {
  if (!IsToken(request.method)) return "the method is not an HTTP token";
  for (const std::string& line : request.headers) {
    if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return "header '" + std::string(HeaderName(line).substr(0, 64)) + "' holds a line break or NUL";
    }
  }
  return {};
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return std::nullopt;
}

std::vector<std::string> HttpResponse::HeaderValues(std::string_view name) const {
  std::vector<std::string> out;
  for (const HttpHeader& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) out.push_back(h.value);
  }
  return out;
}

struct HttpClient::Impl {
  struct Pending {
    HttpRequest request;
    Done done;
    int64_t due_ms = 0;
  };
  struct Transfer {
    UrlHandle url;  // before `easy`: outlives the easy handle that points at it
    std::unique_ptr<CURL, EasyDeleter> easy;
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    HttpRequest request;
    Done done;
    HttpResponse response;
    size_t max_bytes = 0;
    size_t header_bytes = 0;  // names and values kept in response.headers
    bool too_large = false;
    char error[CURL_ERROR_SIZE] = {0};
  };

  HttpOptions options;
  std::unique_ptr<CURLM, MultiDeleter> multi;
  std::deque<Pending> queue;  // not started yet, ordered by submission
  std::vector<std::pair<Done, HttpResponse>> refused;  // failed before connecting; reported by RunUntilIdle
  std::map<CURL*, std::unique_ptr<Transfer>> running;
  std::vector<std::unique_ptr<CURL, EasyDeleter>> idle;  // reused handles keep their connections warm

  static size_t OnBody(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    if (t->response.body.size() + n > t->max_bytes) {
      t->too_large = true;
      return 0;  // aborts the transfer
    }
    t->response.body.append(data, n);
    return n;
  }

  static size_t OnHeader(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    std::string line(data, n);
    if (line.rfind("HTTP/", 0) == 0) {
      // A status line starts a response: drop what an interim one (100, or a
      // 401 before curl retried with credentials) left.
      t->response.headers.clear();
      t->response.content_type.clear();
      t->response.retry_after_s.reset();
      t->header_bytes = 0;
      return n;
    }
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      value.erase(value.find_last_not_of(" \t\r\n") + 1);
      if (name == "retry-after") {
        char* end = nullptr;
        const long long seconds = std::strtoll(value.c_str(), &end, 10);
        if (end != value.c_str() && *end == '\0' && seconds >= 0) t->response.retry_after_s = seconds;
      } else if (name == "content-type") {
        t->response.content_type = value;
      }
      if (t->response.headers.size() < HttpResponse::kMaxResponseHeaders &&
          t->header_bytes + name.size() + value.size() <= HttpResponse::kMaxResponseHeaderBytes) {
        t->header_bytes += name.size() + value.size();
        t->response.headers.push_back(HttpHeader{std::move(name), std::move(value)});
      }
    }
    return n;
  }

  Status Start(Pending&& pending) {
    auto t = std::make_unique<Transfer>();
    if (!idle.empty()) {
      t->easy = std::move(idle.back());
      idle.pop_back();
      curl_easy_reset(t->easy.get());
    } else {
      t->easy.reset(curl_easy_init());
      if (!t->easy) return Status(ErrorCode::kInternal, "curl_easy_init failed");
    }
    t->request = std::move(pending.request);
    t->done = std::move(pending.done);
    t->max_bytes = options.max_response_bytes;
    std::string canonical;
    Result<UrlHandle> url = ParseStrict(t->request.url, /*allow_query=*/true, &canonical);
    const std::string problem = url ? RequestProblem(t->request) : std::string();
    if (!url || !problem.empty()) {
      HttpResponse response;
      response.transport = url ? Status(ErrorCode::kInvalidArgument, RedactUrl(t->request.url) + ": " + problem)
                               : url.error();
      refused.emplace_back(std::move(t->done), std::move(response));
      idle.push_back(std::move(t->easy));
      return Status::Ok();
    }
    t->url = std::move(*url);
    CURL* e = t->easy.get();
    // The handle that was checked is the one connected to.
    curl_easy_setopt(e, CURLOPT_CURLU, t->url.get());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::OnBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::OnHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout_ms));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options.transfer_timeout_ms));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.low_speed_window_s));
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (!options.pin_sha256.empty()) {
      const std::string pin = "sha256//" + options.pin_sha256;
      curl_easy_setopt(e, CURLOPT_PINNEDPUBLICKEY, pin.c_str());  // curl copies the string
    }
    if (!options.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options.ca_file.c_str());
    if (options.max_send_bytes_per_s > 0) {
      // The limit is shared out between the transfers that may run at once.
      const curl_off_t each = std::max<curl_off_t>(options.max_send_bytes_per_s / std::max(options.max_in_flight, 1), 1);
      curl_easy_setopt(e, CURLOPT_MAX_SEND_SPEED_LARGE, each);
    }
    curl_slist* list = nullptr;
    bool has_content_type = false;
    for (const std::string& h : t->request.headers) {
      const std::string_view name = HeaderName(h);
      if (EqualsIgnoreCase(name, "Expect")) continue;
      if (EqualsIgnoreCase(name, "Content-Type")) has_content_type = true;
      list = curl_slist_append(list, h.c_str());
    }
    // No "Expect: 100-continue" round trip before a body: libcurl adds one to
    // bodies over 1 MiB, and servers that ignore it stall each upload by 1 s.
    list = curl_slist_append(list, "Expect:");
    // libcurl labels a body it was given as a form unless told otherwise.
    if (!has_content_type) list = curl_slist_append(list, "Content-Type:");
    t->headers.reset(list);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
    const std::string& method = t->request.method;
    if (method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);  // else curl waits for a body that never comes
    } else {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method.c_str());
      if (method != "DELETE" || !t->request.body.empty()) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->request.body.data());
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->request.body.size()));
      }
    }
    CURLMcode rc = curl_multi_add_handle(multi.get(), e);
    if (rc != CURLM_OK) return Status(ErrorCode::kInternal, std::string("curl_multi_add_handle: ") + curl_multi_strerror(rc));
    running.emplace(e, std::move(t));
    return Status::Ok();
  }

  // Starts queued requests that are due while there is room.
  Status StartDue() {
    const int64_t now = SteadyMs();
    for (auto it = queue.begin(); it != queue.end() && static_cast<int>(running.size()) < options.max_in_flight;) {
      if (it->due_ms > now) {
        ++it;
        continue;
      }
      Pending pending = std::move(*it);
      it = queue.erase(it);
      HF_RETURN_IF_ERROR(Start(std::move(pending)));
    }
    return Status::Ok();
  }

  void Finish(CURL* e, CURLcode code) {
    auto it = running.find(e);
    if (it == running.end()) return;
    std::unique_ptr<Transfer> t = std::move(it->second);
    running.erase(it);
    curl_multi_remove_handle(multi.get(), e);
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
      t->response.status = static_cast<int>(status);
    } else if (t->too_large) {
      t->response.transport = Status(ErrorCode::kServerError,
                                     RedactUrl(t->request.url) + ": the answer is larger than " +
                                         std::to_string(options.max_response_bytes) + " bytes");
    } else {
      t->response.transport = TransportStatus(code, t->error, t->request.url);
    }
    idle.push_back(std::move(t->easy));
    Done done = std::move(t->done);
    HttpResponse response = std::move(t->response);
    t.reset();
    done(std::move(response));
  }

  // A stop was requested (platform/stop_request.h): every transfer in flight
  // and every queued request ends with transport kCancelled. The handles of
  // cut transfers are dropped with their connections, not reused.
  void CancelAll() {
    std::vector<std::pair<Done, HttpResponse>> ended;
    for (auto& [easy, t] : running) {
      curl_multi_remove_handle(multi.get(), easy);
      t->response.transport = StoppedStatus(("HTTP " + RedactUrl(t->request.url)).c_str());
      ended.emplace_back(std::move(t->done), std::move(t->response));
    }
    running.clear();
    for (Pending& p : queue) {
      HttpResponse response;
      response.transport = StoppedStatus(("HTTP " + RedactUrl(p.request.url)).c_str());
      ended.emplace_back(std::move(p.done), std::move(response));
    }
    queue.clear();
    for (auto& r : refused) ended.push_back(std::move(r));
    refused.clear();
    for (auto& [done, response] : ended) done(std::move(response));
  }
};

HttpClient::HttpClient(const HttpOptions& options) : impl_(std::make_unique<Impl>()) { impl_->options = options; }
HttpClient::~HttpClient() {
  if (impl_ && impl_->multi) {
    for (auto& [easy, transfer] : impl_->running) curl_multi_remove_handle(impl_->multi.get(), easy);
  }
}

Result<std::unique_ptr<HttpClient>> HttpClient::Create(const HttpOptions& options) {
  std::unique_ptr<HttpClient> client(new HttpClient(options));
  client->impl_->multi.reset(curl_multi_init());
  if (!client->impl_->multi) return Status(ErrorCode::kInternal, "curl_multi_init failed");
  curl_multi_setopt(client->impl_->multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(options.max_in_flight));
  return client;
}

void HttpClient::Submit(HttpRequest request, Done done, int64_t delay_ms) {
  impl_->queue.push_back(Impl::Pending{std::move(request), std::move(done), SteadyMs() + std::max<int64_t>(delay_ms, 0)});
}

Status HttpClient::RunUntilIdle() {
  while (!impl_->queue.empty() || !impl_->running.empty() || !impl_->refused.empty()) {
    if (StopRequested()) {
      impl_->CancelAll();  // callbacks may submit more: the loop cancels those too
      continue;
    }
    HF_RETURN_IF_ERROR(impl_->StartDue());
    // Callbacks may submit more requests: take the list before calling them.
    std::vector<std::pair<Done, HttpResponse>> refused = std::move(impl_->refused);
    impl_->refused.clear();
    for (auto& [done, response] : refused) done(std::move(response));
    int still_running = 0;
    CURLMcode rc = curl_multi_perform(impl_->multi.get(), &still_running);
    if (rc != CURLM_OK) return Status(ErrorCode::kInternal, std::string("curl_multi_perform: ") + curl_multi_strerror(rc));
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(impl_->multi.get(), &left)) {
      if (msg->msg == CURLMSG_DONE) impl_->Finish(msg->easy_handle, msg->data.result);
    }
    if (impl_->running.empty() && impl_->queue.empty()) break;
    // Sleep until there is network work or the next queued request is due.
    int wait_ms = 100;
    if (!impl_->queue.empty() && static_cast<int>(impl_->running.size()) < impl_->options.max_in_flight) {
      int64_t next = impl_->queue.front().due_ms;
      for (const auto& p : impl_->queue) next = std::min(next, p.due_ms);
      wait_ms = static_cast<int>(std::clamp<int64_t>(next - SteadyMs(), 0, 100));
    }
    if (!impl_->running.empty()) {
      rc = curl_multi_poll(impl_->multi.get(), nullptr, 0, wait_ms, nullptr);
      if (rc != CURLM_OK) return Status(ErrorCode::kInternal, std::string("curl_multi_poll: ") + curl_multi_strerror(rc));
    } else if (wait_ms > 0) {
      struct timespec ts {wait_ms / 1000, (wait_ms % 1000) * 1000000L};
      nanosleep(&ts, nullptr);
    }
  }
  return Status::Ok();
}

HttpResponse HttpClient::Perform(HttpRequest request) {
  HttpResponse result;
  Submit(std::move(request), [&](HttpResponse&& response) { result = std::move(response); });
  Status status = RunUntilIdle();
  if (!status.ok()) result.transport = status;
  return result;
}

Status InitHttpLibrary() {
  CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) return Status(ErrorCode::kInternal, std::string("curl_global_init: ") + curl_easy_strerror(rc));
  return Status::Ok();
}

Result<std::string> BasicAuthHeader(std::string_view user, std::string_view password) {
  if (user.find(':') != std::string_view::npos) {
    return Status(ErrorCode::kInvalidArgument, "Basic authentication: the user name holds a ':'");
  }
  const std::string_view bad("\r\n\0", 3);
  if (user.find_first_of(bad) != std::string_view::npos || password.find_first_of(bad) != std::string_view::npos) {
    return Status(ErrorCode::kInvalidArgument, "Basic authentication: the user name or password holds a line break or NUL");
  }
  std::string pair;
  pair.reserve(user.size() + 1 + password.size());
  pair.append(user).append(":").append(password);
  std::string header = "Authorization: Basic " + Base64Encode(pair);
  std::fill(pair.begin(), pair.end(), '\0');
  return header;
}

std::string RedactUrl(std::string_view url) {
  std::string out;
  size_t start = 0;
  if (const size_t scheme_end = url.find("://"); scheme_end != std::string_view::npos &&
                                                 url.substr(0, scheme_end).find_first_of("/?#@") == std::string_view::npos) {
    start = scheme_end + 3;
  }
  out.append(url.substr(0, start));
  const std::string_view rest = url.substr(start);
  const size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  const std::string_view authority = rest.substr(0, authority_end);
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    out.append("***").append(authority.substr(at));
  } else {
    out.append(authority);
  }
  const std::string_view tail = rest.substr(authority_end);
  const size_t cut = std::min(tail.find_first_of("?#"), tail.size());
  out.append(tail.substr(0, cut));
  if (cut < tail.size()) out.append(1, tail[cut]).append("***");
  return out;
}

Result<ServerUrl> ParseServerUrl(std::string_view url) {
  std::string canonical;
  Result<UrlHandle> handle = ParseStrict(url, /*allow_query=*/false, &canonical);
  if (!handle) return handle.error();
  ServerUrl out;
  out.scheme = UrlPart(handle->get(), CURLUPART_SCHEME).value_or("");
  out.host = UrlPart(handle->get(), CURLUPART_HOST).value_or("");
  out.loopback = IsLoopbackHost(out.host);
  while (!canonical.empty() && canonical.back() == '/') canonical.pop_back();
  out.url = std::move(canonical);
  return out;
}

}  // namespace holdfast::platform
