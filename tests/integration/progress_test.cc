// No loop without progress: every loop of the agent that waits, retries,
// pages or continues either makes progress or ends with an error naming what
// did not progress. Each case runs the real `holdfast` under a deadline
// (`timeout`), so a hang fails the case instead of blocking the suite, against
// the real reference server or a hostile one written here with cpp-httplib.
#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "agent/exit_codes.h"
#include "tests/support/inventory.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitOk;
using nlohmann::json;
using testing::ProcessResult;
using testing::RunProcess;

constexpr int kDeadlineS = 40;  // every command here ends in a few seconds when it works
constexpr int kTimedOut = 124;  // timeout(1)'s exit status

std::string RandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

// A vCard whose PHOTO is `photo_bytes` of JPEG-ish data, base64 on folded lines.
std::string CardWithPhoto(const std::string& uid, size_t photo_bytes) {
  static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string raw = RandomBytes(photo_bytes, 7);
  std::string b64;
  for (size_t i = 0; i + 2 < raw.size(); i += 3) {
    const uint32_t v = (uint32_t{static_cast<unsigned char>(raw[i])} << 16) |
                       (uint32_t{static_cast<unsigned char>(raw[i + 1])} << 8) | static_cast<unsigned char>(raw[i + 2]);
    for (int shift : {18, 12, 6, 0}) b64.push_back(kB64[(v >> shift) & 63]);
  }
  std::string line = "PHOTO;ENCODING=b;TYPE=JPEG:" + b64;
  std::string folded = line.substr(0, 75);
  for (size_t i = 75; i < line.size(); i += 74) folded += "\r\n " + line.substr(i, 74);
  return "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + uid + "\r\nFN:Big Photo\r\n" + folded + "\r\nEND:VCARD\r\n";
}

// A vault with a contacts folder and a photos folder, driven through the CLI.
struct Device {
  testing::TempDir dir;
  fs::path contacts = dir / "contacts";
  fs::path photos = dir / "photos";

  Device() {
    fs::create_directories(contacts / "personal");
    fs::create_directories(photos);
    REQUIRE(Run({"init"}).exit_code == kExitOk);
    REQUIRE(Run({"source", "add", "--kind", "contacts", contacts.string()}).exit_code == kExitOk);
    REQUIRE(Run({"source", "add", "--kind", "photos", photos.string()}).exit_code == kExitOk);
  }
  // `holdfast ARGS` under a deadline.
  ProcessResult Run(std::vector<std::string> args) const {
    std::vector<std::string> argv = {"/usr/bin/timeout", std::to_string(kDeadlineS), testing::HoldfastBinary(),
                                     "--vault", Vault(), "--config", (dir / "config.json").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  }
  std::string Vault() const { return (dir / "vault.db").string(); }
  void Capture() {
    ProcessResult capture = Run({"capture"});
    REQUIRE_MESSAGE(capture.exit_code == kExitOk, (capture.out + capture.err));
  }
  void AddRemote(const std::string& url, const std::string& token) {
    testing::WriteTokenFile(dir / "token", token);
    ProcessResult added = Run({"remote", "add", "home", "--url", url, "--account", "phone", "--token-file",
                               (dir / "token").string()});
    REQUIRE_MESSAGE(added.exit_code == kExitOk, added.err);
  }
};

// A server on 127.0.0.1 that speaks just enough of docs/protocol.md to
// reach the misbehaviour a case needs. Handlers run on httplib's threads.
class HostileServer {
 public:
  using Handler = httplib::Server::Handler;
  explicit HostileServer(const std::function<void(httplib::Server&)>& routes) {
    server_.Get("/v1/accounts/phone/state", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(state_.dump(), "application/json");
    });
    server_.Put(R"(/v1/accounts/phone/collections/([0-9a-f]+))", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{}", "application/json");
    });
    routes(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~HostileServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void set_state(json state) { state_ = std::move(state); }

  // A batch answered entry by entry with `put_status`.
  static void AnswerBatch(const httplib::Request& req, httplib::Response& res, const std::string& put_status) {
    const json body = json::parse(req.body, nullptr, false);
    json puts = json::array(), deletes = json::array();
    for (const json& p : body["put"]) puts.push_back({{"uid", p["uid"]}, {"status", put_status}});
    for (const json& d : body["delete"]) deletes.push_back({{"uid", d}, {"status", "deleted"}});
    res.set_content(json{{"put", puts}, {"delete", deletes}}.dump(), "application/json");
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  json state_ = {{"epoch", "e1"}, {"collections", json::array()}, {"reupload", nullptr}};
};

void CheckEndedWith(const ProcessResult& run, const std::string& words) {
  CHECK_MESSAGE(run.exit_code != kTimedOut, "still running after " << kDeadlineS << " s: " << run.err);
  CHECK(run.exit_code != kExitOk);
  CHECK_MESSAGE(run.err.find(words) != std::string::npos, (run.out + run.err));
}

TEST_CASE("a contact with a 3 MiB embedded photo is pushed, alone and among photos") {
  for (const bool with_photos : {false, true}) {
    CAPTURE(with_photos);
    Device d;
    testing::WriteFileBytes(d.contacts / "personal/big.vcf", CardWithPhoto("big-photo", size_t{3} << 20));
    testing::WriteFileBytes(d.contacts / "personal/small.vcf",
                            "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:small\r\nFN:Small\r\nEND:VCARD\r\n");
    if (with_photos) {
      for (int i = 0; i < 3; ++i) testing::WriteFileBytes(d.photos / ("p" + std::to_string(i) + ".jpg"), RandomBytes(100000, i));
    }
    d.Capture();
    const std::string data = (d.dir / "server").string();
    const std::string token = testing::AddAccount(data, "phone");
    testing::ServerProcess server(data);
    d.AddRemote(server.url(), token);
    ProcessResult push = d.Run({"push"});
    CHECK_MESSAGE(push.exit_code != kTimedOut, "push still running after " << kDeadlineS << " s");
    REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err));
    CHECK(testing::VaultLiveItems(d.Vault()) == testing::ServerItems(data));
    CHECK(testing::VaultLiveItems(d.Vault()).size() == (with_photos ? 5u : 2u));
  }
}

TEST_CASE("a blob upload the server keeps sending back to an earlier offset ends with an error") {
  Device d;
  testing::WriteFileBytes(d.photos / "video.mp4", RandomBytes(size_t{9} << 20, 1));
  d.Capture();
  std::atomic<int> chunks{0};
  HostileServer server([&](httplib::Server& s) {
    // Takes each chunk at 0, then says it holds 0 when the next one comes.
    s.Put(R"(/v1/accounts/phone/blobs/([0-9a-f]+))", [&](const httplib::Request& req, httplib::Response& res) {
      ++chunks;
      if (req.get_param_value("offset") == "0") {
        res.set_content(json{{"received", req.body.size()}, {"complete", false}}.dump(), "application/json");
      } else {
        res.status = 409;
        res.set_content(R"({"offset":0})", "application/json");
      }
    });
  });
  d.AddRemote(server.url(), "t0ken");
  CheckEndedWith(d.Run({"push"}), "makes no progress");
  CHECK(chunks.load() < 20);
}

TEST_CASE("a server that answers missing-blob round after round ends the push with an error") {
  Device d;
  testing::WriteFileBytes(d.photos / "a.jpg", RandomBytes(5000, 2));
  d.Capture();
  HostileServer server([&](httplib::Server& s) {
    s.Put(R"(/v1/accounts/phone/blobs/([0-9a-f]+))", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(json{{"received", req.body.size()}, {"complete", true}}.dump(), "application/json");
    });
    s.Post(R"(/v1/accounts/phone/collections/([0-9a-f]+)/batch)", [](const httplib::Request& req, httplib::Response& res) {
      HostileServer::AnswerBatch(req, res, "missing-blob");
    });
  });
  d.AddRemote(server.url(), "t0ken");
  CheckEndedWith(d.Run({"push"}), "missing-blob");
}

TEST_CASE("a Retry-After of days ends the call at once, naming the wait asked for") {
  for (const char* retry_after : {"1000000", "99999999999999999999999"}) {
    CAPTURE(retry_after);
    Device d;
    testing::WriteFileBytes(d.contacts / "personal/a.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:A\r\nEND:VCARD\r\n");
    d.Capture();
    HostileServer server([&](httplib::Server& s) {
      s.Post(R"(/v1/accounts/phone/collections/([0-9a-f]+)/batch)", [&](const httplib::Request&, httplib::Response& res) {
        res.status = 503;
        res.set_header("Retry-After", retry_after);
        res.set_content(R"({"type":"unavailable","detail":"come back later"})", "application/problem+json");
      });
    });
    d.AddRemote(server.url(), "t0ken");
    CheckEndedWith(d.Run({"push"}), "Retry-After");
  }
}

TEST_CASE("an inventory whose next page never ends or repeats ends the check with an error") {
  for (const bool repeat : {false, true}) {
    CAPTURE(repeat);
    Device d;
    testing::WriteFileBytes(d.contacts / "personal/a.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:A\r\nEND:VCARD\r\n");
    d.Capture();
    HostileServer server([&](httplib::Server& s) {
      s.Post(R"(/v1/accounts/phone/collections/([0-9a-f]+)/batch)", [](const httplib::Request& req, httplib::Response& res) {
        HostileServer::AnswerBatch(req, res, "stored");
      });
      // Empty pages whose next grows forever, or the same item again under a growing next.
      s.Get(R"(/v1/accounts/phone/collections/([0-9a-f]+)/inventory)", [&](const httplib::Request& req, httplib::Response& res) {
        const std::string after = req.has_param("after") ? req.get_param_value("after") : "";
        json items = repeat ? json::array({{{"uid", "a"}, {"sha256", "00"}}}) : json::array();
        res.set_content(json{{"items", items}, {"next", after + "z"}}.dump(), "application/json");
      });
    });
    d.AddRemote(server.url(), "t0ken");
    ProcessResult push = d.Run({"push"});
    REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err));
    // The server now claims to hold nothing of the acknowledged collection:
    // check lists its inventory to find what is missing.
    json collections = json::array();
    const std::string id = testing::RemoteCollectionIdOf("contacts", "personal");
    collections.push_back({{"id", id}, {"items", 0}, {"digest", "0"}});
    server.set_state({{"epoch", "e1"}, {"collections", collections}, {"reupload", nullptr}});
    ProcessResult check = d.Run({"check"});
    CHECK_MESSAGE(check.exit_code != kTimedOut, "check still running after " << kDeadlineS << " s");
    CHECK(check.exit_code != kExitOk);
    CHECK_MESSAGE((check.out + check.err).find(repeat ? "repeat" : "makes no progress") != std::string::npos,
                  (check.out + check.err));
  }
}

TEST_CASE("recover --wait refuses an operator's re-upload slot years away instead of sleeping") {
  Device d;
  testing::WriteFileBytes(d.contacts / "personal/a.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:A\r\nEND:VCARD\r\n");
  d.Capture();
  HostileServer server([&](httplib::Server&) {});
  server.set_state({{"epoch", "e1"},
                    {"collections", json::array()},
                    {"reupload", {{"id", "r-1"}, {"not_before_ms", INT64_MAX - 5}, {"spread_ms", 3600000}}}});
  d.AddRemote(server.url(), "t0ken");
  CheckEndedWith(d.Run({"recover", "--wait"}), "not waiting");
}

}  // namespace
}  // namespace holdfast
