// The reference server against a client that means harm (issue 12): bodies
// built to crash or fill it, fields of the wrong type, sizes out of range, a
// kind changed under the agent, token guessing, and idle or trickling
// connections that try to starve a real device. Each runs against a real
// holdfast-server on 127.0.0.1; the hostile connections come from other
// loopback addresses (127.0.0.2 and up) so that they are other clients.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/exit_codes.h"
#include "platform/base64.h"
#include "platform/http_client.h"
#include "platform/sha256.h"
#include "storage/sqlite_handle.h"
#include "tests/support/handset.h"
#include "tests/support/inventory.h"
#include "tests/support/server_process.h"
#include "tests/support/test_certs.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

using agent::kExitOk;
using nlohmann::json;
using platform::HttpRequest;
using platform::HttpResponse;
using Clock = std::chrono::steady_clock;

struct Server {
  testing::TempDir dir;
  std::string data = (dir / "data").string();
  std::string token = testing::AddAccount(data, "phone");
  testing::ServerProcess process;
  std::unique_ptr<platform::HttpClient> http = testing::TestHttpClient();

  explicit Server(const std::vector<std::string>& extra = {}) : process(data, extra) {}

  // Authenticated as "phone" unless another token is given.
  HttpResponse Call(const std::string& method, const std::string& path, std::string body = "",
                    const std::string& bearer = "") {
    return testing::CallServer(*http, method, process.url() + path, std::move(body), bearer.empty() ? token : bearer);
  }
  json Body(const HttpResponse& response) { return json::parse(response.body); }
  size_t Items(const std::string& collection) {
    return Body(Call("GET", "/v1/accounts/phone/collections/" + collection + "/inventory"))["items"].size();
  }
};

std::string Entry(const std::string& uid, const std::string& content) {
  return json{{"uid", uid}, {"sha256", platform::ToHex(platform::Sha256Of(content))},
              {"content_base64", platform::Base64Encode(content)}}
      .dump();
}

const std::string kBook = "/v1/accounts/phone/collections/book";

// A TCP connection to 127.0.0.1:port from `source` (another loopback address), or -1.
int ConnectFrom(const std::string& source, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Whether the server closed the connection (end of file or reset) within `ms`.
bool ClosedWithin(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return false;
  char byte;
  return recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

TEST_CASE("a JSON body nested 100,000 deep gets 400 and the server goes on serving every account") {
  Server s;
  REQUIRE(s.Call("PUT", kBook, R"({"kind":"contact","name":"P"})").status == 200);
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string deep_object = R"({"put":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  HttpResponse batch = s.Call("POST", kBook + "/batch", deep_object);
  CHECK(batch.status == 400);
  CHECK(batch.content_type == "application/problem+json");
  // Under the collection body's limit, 20,000 deep.
  CHECK(s.Call("PUT", kBook, std::string(20000, '[') + std::string(20000, ']')).status == 400);
  CHECK(s.Call("POST", kBook + "/batch", R"({"put":[],"delete":[],"x":)" + deep + "}").status == 400);
  // Brackets inside strings do not count: a uid full of them is only a uid.
  CHECK(s.Call("POST", kBook + "/batch", R"({"put":[)" + Entry(std::string(5000, '['), "c") + "]}").status == 200);
  CHECK(s.Call("GET", "/v1/accounts/phone/state").status == 200);
}

TEST_CASE("a batch entry with a field of the wrong type gets 400 and none of the batch is stored") {
  Server s;
  REQUIRE(s.Call("PUT", kBook, R"({"kind":"contact","name":"P"})").status == 200);
  const std::string sha = platform::ToHex(platform::Sha256Of("x"));
  for (const std::string& bad : std::vector<std::string>{R"({"uid":"b","sha256":")" + sha + R"(","blob":"yes"})",
                                 R"({"uid":7,"sha256":")" + sha + R"(","content_base64":"eA"})",
                                 R"({"uid":"b","sha256":[1],"content_base64":"eA"})",
                                 R"({"uid":"b","sha256":")" + sha + R"(","content_base64":{}})", std::string("3")}) {
    CAPTURE(bad);
    HttpResponse answer = s.Call("POST", kBook + "/batch", R"({"put":[)" + Entry("a", "card a") + "," + bad + "]}");
    CHECK(answer.status == 400);
    CHECK(answer.content_type == "application/problem+json");
    CHECK(answer.body.find("unexpected") == std::string::npos);
    CHECK(s.Items("book") == 0);
  }
  CHECK(s.Call("POST", kBook + "/batch", R"({"put":[)" + Entry("a", "card a") + R"(],"delete":["b",5]})").status == 400);
  CHECK(s.Items("book") == 0);
}

TEST_CASE("blob sizes and offsets must be decimal digits within the limits") {
  Server s;
  const std::string blob = "/v1/accounts/phone/blobs/" + platform::ToHex(platform::Sha256Of("abc"));
  for (const char* query : {"offset=0&size=-1", "offset=0&size=18446744073709551615", "offset=0&size=+3",
                                   "offset=0&size=0x3", "offset=0&size=3%20", "offset=-0&size=3", "offset=4&size=3",
                                   "offset=0&size=99999999999999999999999", "offset=0&size=68719476737"}) {
    CAPTURE(query);
    CHECK(s.Call("PUT", blob + "?" + query, "abc").status == 400);
  }
  CHECK(s.Call("GET", blob).status == 404);
  HttpResponse good = s.Call("PUT", blob + "?offset=0&size=3", "abc");
  CHECK(good.status == 200);
  CHECK(s.Body(good)["complete"] == true);
}

TEST_CASE("a collection's kind cannot change; the same kind again is idempotent") {
  Server s;
  REQUIRE(s.Call("PUT", kBook, R"({"kind":"contact","name":"P"})").status == 200);
  CHECK(s.Call("PUT", kBook, R"({"kind":"contact","name":"Renamed"})").status == 200);
  HttpResponse changed = s.Call("PUT", kBook, R"({"kind":"photo","name":"Renamed"})");
  CHECK(changed.status == 409);
  CHECK(s.Body(changed)["type"] == "urn:holdfast:problem:kind-conflict");
  json state = s.Body(s.Call("GET", "/v1/accounts/phone/state"));
  CHECK(state["collections"][0]["kind"] == "contact");
  CHECK(state["collections"][0]["name"] == "Renamed");
}

TEST_CASE("a collection body over 64 KiB gets 413") {
  Server s;
  HttpResponse large = s.Call("PUT", kBook, json{{"kind", "contact"}, {"name", std::string(65 << 10, 'n')}}.dump());
  CHECK(large.status == 413);
  CHECK(s.Call("PUT", kBook, json{{"kind", "contact"}, {"name", std::string(60 << 10, 'n')}}.dump()).status == 200);
}

TEST_CASE("failed authentications from one address get 429 with Retry-After, whatever the token") {
  Server s;
  int unauthorized = 0;
  for (int i = 0; i < 20; ++i) unauthorized += s.Call("GET", "/v1/accounts/phone/state", "", "guess" + std::to_string(i)).status == 401;
  CHECK(unauthorized == 20);
  HttpResponse blocked = s.Call("GET", "/v1/accounts/phone/state", "", "guess-21");
  CHECK(blocked.status == 429);
  HttpResponse right = s.Call("GET", "/v1/accounts/phone/state");
  CHECK(right.status == 429);
  CHECK(right.retry_after_s.value_or(0) > 1);
}

TEST_CASE("the server's file holds a hash of the token, never the token") {
  Server s;
  REQUIRE(s.Call("GET", "/v1/accounts/phone/state").status == 200);
  std::ifstream file(std::filesystem::path(s.data) / "server.db", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.find(platform::ToHex(platform::Sha256Of(s.token))) != std::string::npos);
  CHECK(bytes.find(s.token) == std::string::npos);
}

TEST_CASE("an account over its quota gets 507 and nothing of the batch is stored") {
  Server s({"--quota-items", "3", "--quota-bytes", "4096"});
  REQUIRE(s.Call("PUT", kBook, R"({"kind":"contact","name":"P"})").status == 200);
  const std::string three = Entry("a", "1") + "," + Entry("b", "2") + "," + Entry("c", "3");
  REQUIRE(s.Call("POST", kBook + "/batch", R"({"put":[)" + three + "]}").status == 200);
  CHECK(s.Call("POST", kBook + "/batch", R"({"put":[)" + three + "]}").status == 200);  // replacing is no growth
  HttpResponse fourth = s.Call("POST", kBook + "/batch", R"({"put":[)" + Entry("d", "4") + "]}");
  CHECK(fourth.status == 507);
  CHECK(s.Body(fourth)["type"] == "urn:holdfast:problem:quota");
  CHECK(s.Items("book") == 3);
  const std::string big(5000, 'x');
  HttpResponse blob = s.Call("PUT", "/v1/accounts/phone/blobs/" + platform::ToHex(platform::Sha256Of(big)) +
                                        "?offset=0&size=5000", big);
  CHECK(blob.status == 507);
}

TEST_CASE("a store made before the usage row is migrated: its quota counts what it held already") {
  // The tables as the server made them before schema version 1, with an
  // account holding 3 inline items of 1,000 bytes and 500 bytes of a blob.
  testing::TempDir dir;
  const std::string data = (dir / "data").string();
  std::filesystem::create_directories(data);
  const std::string token(64, 'a');
  {
    auto db = storage::Db::Open("file:" + data + "/server.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    REQUIRE(db);
    REQUIRE((*db)->Exec(R"sql(
      CREATE TABLE accounts(name TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL UNIQUE, epoch TEXT NOT NULL,
        reupload_id TEXT, reupload_requested_ms INTEGER, reupload_not_before_ms INTEGER, reupload_spread_ms INTEGER);
      CREATE TABLE collections(account TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
        PRIMARY KEY(account, id)) WITHOUT ROWID;
      CREATE TABLE items(account TEXT NOT NULL, collection TEXT NOT NULL, uid TEXT NOT NULL, sha256 TEXT NOT NULL,
        content BLOB, blob_sha256 TEXT, PRIMARY KEY(account, collection, uid));
      CREATE TABLE blobs(account TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, received INTEGER NOT NULL,
        complete INTEGER NOT NULL, PRIMARY KEY(account, sha256)) WITHOUT ROWID;
      CREATE TABLE blob_chunks(account TEXT NOT NULL, sha256 TEXT NOT NULL, offset INTEGER NOT NULL, data BLOB NOT NULL,
        PRIMARY KEY(account, sha256, offset));)sql").ok());
    REQUIRE((*db)->Exec("INSERT INTO accounts(name, token_sha256, epoch) VALUES('phone', '" +
                        platform::ToHex(platform::Sha256Of(token)) + "', 'e1');"
                        "INSERT INTO collections VALUES('phone', 'book', 'contact', 'P');").ok());
    for (const char* uid : {"a", "b", "c"}) {
      const std::string content(1000, uid[0]);
      REQUIRE((*db)->Exec(std::string("INSERT INTO items VALUES('phone', 'book', '") + uid + "', '" +
                          platform::ToHex(platform::Sha256Of(content)) + "', CAST('" + content +
                          "' AS BLOB), NULL)").ok());
    }
    const std::string part(500, 'z');
    REQUIRE((*db)->Exec("INSERT INTO blobs VALUES('phone', '" + std::string(64, 'b') + "', 9000, 500, 0);"
                        "INSERT INTO blob_chunks VALUES('phone', '" + std::string(64, 'b') + "', 0, CAST('" + part +
                        "' AS BLOB));").ok());
  }
  // The first open migrates; verify then finds the row equal to the sums.
  testing::ProcessResult verify = testing::RunProcess({testing::ServerBinary(), "verify", "--data", data});
  CHECK_MESSAGE(verify.exit_code == 0, (verify.out + verify.err));
  {
    auto db = storage::Db::Open("file:" + data + "/server.db", SQLITE_OPEN_READWRITE);
    REQUIRE(db);
    Result<int64_t> version = (*db)->QueryInt("PRAGMA user_version");
    Result<int64_t> bytes = (*db)->QueryInt("SELECT bytes FROM account_usage WHERE account = 'phone'");
    Result<int64_t> items = (*db)->QueryInt("SELECT items FROM account_usage WHERE account = 'phone'");
    REQUIRE((version && bytes && items));
    CHECK(*version == 1);
    CHECK(*bytes == 3500);
    CHECK(*items == 3);
  }
  // The quota counts the 3,500 bytes and 3 items held before the migration.
  testing::ServerProcess server(data, {"--quota-bytes", "4000", "--quota-items", "4"});
  auto http = testing::TestHttpClient();
  auto call = [&](const std::string& body) {
    return testing::CallServer(*http, "POST", server.url() + kBook + "/batch", body, token);
  };
  HttpResponse over = call(R"({"put":[)" + Entry("d", std::string(600, 'd')) + "]}");
  CHECK(over.status == 507);
  CHECK(call(R"({"put":[)" + Entry("d", std::string(400, 'd')) + "]}").status == 200);
  CHECK(call(R"({"put":[)" + Entry("e", "e") + "]}").status == 507);  // a fifth item
  CHECK(call(R"({"put":[)" + Entry("a", "short") + "]}").status == 200);  // replacing shrinks
  CHECK(call(R"({"put":[)" + Entry("e", std::string(900, 'e')) + "]}").status == 507);  // still 5 items
}

TEST_CASE("one client address holds at most 16 connections at once") {
  Server s;
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) fds.push_back(ConnectFrom("127.0.0.2", s.process.port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // well within the 5 s keep-alive timeout
  int closed = 0;
  for (int fd : fds) closed += fd < 0 || ClosedWithin(fd, 0);
  for (int fd : fds) if (fd >= 0) close(fd);
  CHECK(closed == 4);
  CHECK(s.Call("GET", "/v1/accounts/phone/state").status == 200);
}

// The same guards in TLS mode: the limit and the handshake deadline hold
// before any TLS byte is read.
struct TlsServer {
  testing::TempDir cert_dir;
  testing::TestCerts certs = testing::MakeTestCerts(cert_dir.path());
  Server s{{"--tls-cert", certs.server_pem.string(), "--tls-key", certs.server_key.string()}};

  HttpResponse State() {
    platform::HttpOptions options;
    options.ca_file = certs.ca_pem.string();
    Result<std::unique_ptr<platform::HttpClient>> http = platform::HttpClient::Create(options);
    REQUIRE(http.has_value());
    return testing::CallServer(**http, "GET", s.process.url() + "/v1/accounts/phone/state", "", s.token);
  }
};

TEST_CASE("with TLS too, one client address holds at most 16 connections at once") {
  TlsServer t;
  REQUIRE(t.s.process.url().rfind("https://", 0) == 0);
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) fds.push_back(ConnectFrom("127.0.0.2", t.s.process.port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // well within the handshake deadline
  int closed = 0;
  for (int fd : fds) closed += fd < 0 || ClosedWithin(fd, 0);
  for (int fd : fds) if (fd >= 0) close(fd);
  CHECK(closed == 4);
  CHECK(t.State().status == 200);
}

TEST_CASE("with TLS, a connection that never completes the handshake is closed") {
  TlsServer t;
  const int fd = ConnectFrom("127.0.0.2", t.s.process.port());
  REQUIRE(fd >= 0);
  // Half a TLS record header, then nothing: closed once the grace period (5 s) is over.
  REQUIRE(send(fd, "\x16\x03", 2, MSG_NOSIGNAL) == 2);
  const auto start = Clock::now();
  CHECK(ClosedWithin(fd, 12000));
  CHECK(Clock::now() - start < std::chrono::seconds(11));
  close(fd);
  CHECK(t.State().status == 200);
}

// Idle and trickling connections from other addresses, reopened as the
// server closes them, until stopped (or 120 s at most).
class Siege {
 public:
  Siege(int port, int idle, int trickling) {
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    for (int i = 0; i < idle + trickling; ++i) {
      const bool trickle = i >= idle;
      const std::string source = trickle ? "127.0.0." + std::to_string(10 + i) : "127.0.0.3";
      threads_.emplace_back([this, port, trickle, source, deadline] {
        const std::string request = "GET /v1/accounts/phone/state HTTP/1.1\r\nHost: x\r\n\r\n";
        while (!stop_ && Clock::now() < deadline) {
          const int fd = ConnectFrom(source, port);
          if (fd >= 0) ++connections_;
          for (size_t sent = 0; fd >= 0 && !stop_ && Clock::now() < deadline; ++sent) {
            if (trickle && send(fd, &request[sent % request.size()], 1, MSG_NOSIGNAL) != 1) break;
            if (ClosedWithin(fd, 1000)) break;
          }
          if (fd >= 0) close(fd);
          if (fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));  // all connected and waiting
  }
  ~Siege() {
    stop_ = true;
    for (std::thread& t : threads_) t.join();
  }
  int connections() const { return connections_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::vector<std::thread> threads_;
};

TEST_CASE("16 idle and 8 trickling connections do not hold up a device's push or its requests") {
  testing::Handset h;
  const std::string data = (h.dir / "server").string();
  const std::string token = testing::AddAccount(data, "phone");
  testing::WriteTokenFile(h.dir / "token", token);
  REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);
  testing::ServerProcess server(data);
  REQUIRE(h.Holdfast({"remote", "add", "home", "--url", server.url(), "--account", "phone", "--token-file",
                      (h.dir / "token").string()}).exit_code == kExitOk);
  Siege siege(server.port(), 16, 8);

  const auto push_start = Clock::now();
  testing::ProcessResult push = h.Holdfast({"push"});
  const double push_s = std::chrono::duration<double>(Clock::now() - push_start).count();
  REQUIRE_MESSAGE(push.exit_code == kExitOk, push.err);
  CHECK(testing::VaultInventory(h.vault) == testing::ServerInventory(data, "phone"));

  REQUIRE(platform::InitHttpLibrary().ok());
  std::unique_ptr<platform::HttpClient> http = std::move(*platform::HttpClient::Create(platform::HttpOptions{}));
  double worst_state_s = 0;
  for (int i = 0; i < 5; ++i) {
    HttpRequest request;
    request.method = "GET";
    request.url = server.url() + "/v1/accounts/phone/state";
    request.headers.push_back("Authorization: Bearer " + token);
    const auto start = Clock::now();
    HttpResponse state = http->Perform(std::move(request));
    worst_state_s = std::max(worst_state_s, std::chrono::duration<double>(Clock::now() - start).count());
    CHECK(state.status == 200);
  }
  MESSAGE("push under siege " << push_s << " s, worst /state " << worst_state_s << " s, "
                              << siege.connections() << " hostile connections");
  // Hang detectors only; the figures go to docs/benchmarks.md.
  CHECK(worst_state_s < 3.0);
  CHECK(push_s < 30.0);
}

}  // namespace
}  // namespace holdfast
