// platform::HttpClient against a raw loopback socket: the exact bytes each
// method sends (no Expect, no invented Content-Type), the response headers a
// DAV client reads, their bound, and errors that name no credential.
#include "platform/http_client.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/loopback.h"

namespace holdfast::platform {
namespace {

// One request as the server read it.
struct SeenRequest {
  std::string head;  // request line and headers, as sent
  std::string body;
};

// Accepts connections on 127.0.0.1 one at a time, reads one request from each
// (headers, then Content-Length bytes) and answers `reply` then closes.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = testing::BindLoopback(&port_);
    REQUIRE(listen(fd_, 8) == 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<SeenRequest> Seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      SeenRequest request;
      std::string data;
      char buf[65536];
      size_t need = std::string::npos;
      while (need == std::string::npos || data.size() < need) {
        const ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
        const size_t end = data.find("\r\n\r\n");
        if (need == std::string::npos && end != std::string::npos) {
          request.head = data.substr(0, end + 2);
          size_t length = 0;
          const size_t at = Lower(request.head).find("\r\ncontent-length:");
          if (at != std::string::npos) length = std::stoul(request.head.substr(at + 17));
          need = end + 4 + length;
        }
      }
      if (need != std::string::npos) request.body = data.substr(request.head.size() + 2);
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back(std::move(request));
      }
      size_t sent = 0;
      while (sent < reply_.size()) {
        const ssize_t n = write(c, reply_.data() + sent, reply_.size() - sent);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      close(c);
    }
  }
  static std::string Lower(std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  }

  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<SeenRequest> seen_;
  std::thread thread_;
};

std::unique_ptr<HttpClient> NewClient() {
  REQUIRE(InitHttpLibrary().ok());
  Result<std::unique_ptr<HttpClient>> client = HttpClient::Create(HttpOptions{});
  REQUIRE(client.has_value());
  return std::move(*client);
}

const std::string kEmpty207 =
    "HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml; charset=utf-8\r\nContent-Length: 0\r\n"
    "Connection: close\r\n\r\n";

bool HasHeader(const std::string& head, const std::string& lower_name) {
  std::string lower = head;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return lower.find("\r\n" + lower_name + ":") != std::string::npos;
}

TEST_CASE("PROPFIND, REPORT, MKCOL and MKCALENDAR go out with their method, headers and body") {
  LoopbackServer server(kEmpty207);
  std::unique_ptr<HttpClient> client = NewClient();
  for (const std::string method : {"PROPFIND", "REPORT", "MKCOL", "MKCALENDAR"}) {
    HttpRequest request;
    request.method = method;
    request.url = server.Url("/dav/calendars/user/");
    request.headers = {"Depth: 1", "Content-Type: application/xml; charset=utf-8"};
    request.body = "<x>" + method + "</x>";
    HttpResponse response = client->Perform(request);
    REQUIRE(response.transport.ok());
    CHECK(response.status == 207);
  }
  std::vector<SeenRequest> seen = server.Seen();
  REQUIRE(seen.size() == 4);
  CHECK(seen[0].head.rfind("PROPFIND /dav/calendars/user/ HTTP/1.1\r\n", 0) == 0);
  CHECK(seen[3].head.rfind("MKCALENDAR /dav/calendars/user/ HTTP/1.1\r\n", 0) == 0);
  CHECK(seen[1].body == "<x>REPORT</x>");
  CHECK(seen[0].head.find("\r\nDepth: 1\r\n") != std::string::npos);
  CHECK(seen[0].head.find("\r\nContent-Type: application/xml; charset=utf-8\r\n") != std::string::npos);
}

TEST_CASE("a 2 MiB PUT is sent without Expect: 100-continue, even when the caller asks for it") {
  LoopbackServer server("HTTP/1.1 201 Created\r\nETag: \"v1\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  std::unique_ptr<HttpClient> client = NewClient();
  HttpRequest request;
  request.method = "PUT";
  request.url = server.Url("/photos/big.jpg");
  request.headers = {"Expect: 100-continue", "If-None-Match: *"};
  request.body.assign(size_t{2} << 20, 'p');
  HttpResponse response = client->Perform(request);
  REQUIRE(response.transport.ok());
  CHECK(response.status == 201);
  CHECK(response.Header("etag") == std::optional<std::string>("\"v1\""));
  std::vector<SeenRequest> seen = server.Seen();
  REQUIRE(seen.size() == 1);
  CHECK_FALSE(HasHeader(seen[0].head, "expect"));
  CHECK(seen[0].body.size() == request.body.size());
  // No Content-Type the caller did not set (libcurl would call the body a form).
  CHECK_FALSE(HasHeader(seen[0].head, "content-type"));
  CHECK(seen[0].head.find("\r\nIf-None-Match: *\r\n") != std::string::npos);
}

TEST_CASE("DELETE goes without a body unless it has one, and HEAD returns") {
  LoopbackServer server("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  std::unique_ptr<HttpClient> client = NewClient();
  HttpRequest del;
  del.method = "DELETE";
  del.url = server.Url("/a.vcf");
  del.headers = {"If-Match: \"e1\""};
  CHECK(client->Perform(del).status == 204);
  del.body = "<why/>";
  CHECK(client->Perform(del).status == 204);
  HttpRequest head;
  head.method = "HEAD";
  head.url = server.Url("/a.vcf");
  CHECK(client->Perform(head).status == 204);
  std::vector<SeenRequest> seen = server.Seen();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].head.rfind("DELETE /a.vcf", 0) == 0);
  CHECK_FALSE(HasHeader(seen[0].head, "content-length"));
  CHECK(seen[1].body == "<why/>");
  CHECK(seen[2].head.rfind("HEAD /a.vcf", 0) == 0);
}

TEST_CASE("the response carries ETag, Location, DAV, Content-Type and Retry-After, found in any case") {
  LoopbackServer server(
      "HTTP/1.1 503 Service Unavailable\r\nETag: W/\"abc\"\r\nlocation: /new/place/\r\nDAV: 1, 2, 3\r\n"
      "Dav: calendar-access, addressbook\r\nContent-Type: text/plain\r\nRetry-After: 7\r\nContent-Length: 2\r\n"
      "Connection: close\r\n\r\nno");
  std::unique_ptr<HttpClient> client = NewClient();
  HttpRequest request;
  request.method = "OPTIONS";
  request.url = server.Url("/");
  HttpResponse response = client->Perform(request);
  REQUIRE(response.transport.ok());
  CHECK(response.status == 503);
  CHECK(response.body == "no");
  CHECK(response.Header("ETag") == std::optional<std::string>("W/\"abc\""));
  CHECK(response.Header("LOCATION") == std::optional<std::string>("/new/place/"));
  CHECK(response.HeaderValues("dav") == std::vector<std::string>{"1, 2, 3", "calendar-access, addressbook"});
  CHECK(response.content_type == "text/plain");
  CHECK(response.retry_after_s == std::optional<int64_t>(7));
  CHECK_FALSE(response.Header("X-Missing").has_value());
}

TEST_CASE("response headers are bounded in number") {
  std::string reply = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 1000; ++i) reply += "X-Filler-" + std::to_string(i) + ": " + std::string(100, 'f') + "\r\n";
  reply += "Content-Length: 0\r\nConnection: close\r\n\r\n";
  LoopbackServer server(reply);
  std::unique_ptr<HttpClient> client = NewClient();
  HttpRequest request;
  request.url = server.Url("/");
  HttpResponse response = client->Perform(request);
  REQUIRE(response.transport.ok());
  CHECK(response.status == 200);
  CHECK(response.headers.size() == HttpResponse::kMaxResponseHeaders);
  CHECK(response.headers.front().name == "x-filler-0");
}

TEST_CASE("credentials appear in no error message") {
  std::unique_ptr<HttpClient> client = NewClient();
  HttpRequest request;
  request.url = "http://alice:s3cret-pw@127.0.0.1:9/dav/";
  HttpResponse refused = client->Perform(request);
  CHECK(refused.transport.code() == ErrorCode::kInvalidArgument);
  CHECK(refused.transport.message().find("s3cret-pw") == std::string::npos);
  CHECK(refused.transport.message().find("alice") == std::string::npos);

  // A port this test holds bound but never listens on: the connection is refused.
  int closed_port = 0;
  const int held = testing::BindLoopback(&closed_port);
  const std::string closed = "127.0.0.1:" + std::to_string(closed_port);
  request.url = "http://" + closed + "/dav/?access_token=tok-123";
  Result<std::string> basic = BasicAuthHeader("alice", "s3cret-pw");
  REQUIRE(basic.has_value());
  request.headers = {*basic, "Authorization: Bearer tok-456"};
  HttpResponse unreachable = client->Perform(request);
  CHECK(unreachable.transport.code() == ErrorCode::kNetwork);
  CHECK(unreachable.transport.message().find("tok-123") == std::string::npos);
  CHECK(unreachable.transport.message().find("tok-456") == std::string::npos);
  CHECK(unreachable.transport.message().find(basic->substr(21)) == std::string::npos);
  CHECK(unreachable.transport.message().find(closed + "/dav/") != std::string::npos);
  close(held);

  request.headers = {"Authorization: Bearer tok-789\r\nX-Injected: 1"};
  HttpResponse injected = client->Perform(request);
  CHECK(injected.transport.code() == ErrorCode::kInvalidArgument);
  CHECK(injected.transport.message().find("tok-789") == std::string::npos);
  CHECK(injected.transport.message().find("Authorization") != std::string::npos);
}

TEST_CASE("a method that is not a token is refused before connecting") {
  std::unique_ptr<HttpClient> client = NewClient();
  for (const std::string method : {"", "PROP FIND", "GET\r\nX: y", "GET /"}) {
    HttpRequest request;
    request.method = method;
    request.url = "http://127.0.0.1:9/";
    CHECK(client->Perform(request).transport.code() == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("BasicAuthHeader encodes user:password and refuses what cannot be sent") {
  CHECK(*BasicAuthHeader("Aladdin", "open sesame") == "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK(BasicAuthHeader("a:b", "pw").error().code() == ErrorCode::kInvalidArgument);
  Result<std::string> broken = BasicAuthHeader("a", "pw\r\nX: 1");
  REQUIRE_FALSE(broken.has_value());
  CHECK(broken.error().message().find("pw") == std::string::npos);
}

TEST_CASE("RedactUrl hides user info, query and fragment") {
  CHECK(RedactUrl("https://u:p@host.example/a/b?token=x#f") == "https://***@host.example/a/b?***");
  CHECK(RedactUrl("http://host/a/b/") == "http://host/a/b/");
  CHECK(RedactUrl("u:p@host/x") == "***@host/x");
  CHECK(RedactUrl("http://host/a@b") == "http://host/a@b");
  CHECK(RedactUrl("http://host/p#frag") == "http://host/p#***");
  CHECK(RedactUrl("") == "");
}

}  // namespace
}  // namespace holdfast::platform
