// holdfast push against the real reference server on 127.0.0.1: first and
// incremental pushes, deletions, a push killed and resumed, every injected
// fault kind, bad tokens, TLS with a CA made at test time, expired
// certificates and a server that answers garbage. Each ends by comparing
// the server's inventory with the vault, collection by collection.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>

#include "agent/exit_codes.h"
#include "agent/sync/push.h"
#include "platform/base64.h"
#include "platform/sha256.h"
#include "storage/vault.h"
#include "tests/support/child_process.h"
#include "tests/support/handset.h"
#include "tests/support/inventory.h"
#include "tests/support/loopback.h"
#include "tests/support/server_process.h"
#include "tests/support/test_certs.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitOk;
using agent::kExitRemote;
using agent::kExitRemoteRefused;
using agent::kExitUsage;
using testing::ServerInventory;
using testing::VaultInventory;
using testing::Handset;
using testing::ProcessResult;
using testing::RunProcess;


// A captured handset, a server with an account, and a remote pointing at it.
struct Setup {
  Handset h;
  std::string data = (h.dir / "server").string();
  std::string token = testing::AddAccount(data, "phone");
  fs::path token_file = h.dir / "token";

  Setup() {
    testing::WriteTokenFile(token_file, token);
    ProcessResult capture = h.Holdfast({"capture"});
    REQUIRE_MESSAGE(capture.exit_code == kExitOk, (capture.out + capture.err));
  }
  void AddRemote(const std::string& url, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"remote", "add", "home", "--url", url, "--account", "phone", "--token-file",
                                     token_file.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult added = h.Holdfast(args);
    REQUIRE_MESSAGE(added.exit_code == kExitOk, added.err);
  }
  bool InSync() { return VaultInventory(h.vault) == ServerInventory(data, "phone"); }
};

TEST_CASE("a first push sends everything, a second sends nothing, and deletions follow") {
  Setup s;
  testing::ServerProcess server(s.data);
  s.AddRemote(server.url());
  ProcessResult first = s.h.Holdfast({"push"});
  REQUIRE_MESSAGE(first.exit_code == kExitOk, (first.out + first.err));
  CHECK(first.out.find("590 items stored") != std::string::npos);
  CHECK(first.out.find("20 blobs uploaded") != std::string::npos);
  CHECK(s.InSync());
  nlohmann::json status = s.h.Status();
  REQUIRE(status["remotes"].size() == 1);
  CHECK(status["remotes"][0]["acknowledged"] == 590);
  CHECK(status["remotes"][0]["pending_puts"] == 0);

  ProcessResult second = s.h.Holdfast({"push"});
  CHECK(second.exit_code == kExitOk);
  CHECK(second.out.find("0 items stored, 0 already there, 0 deletions, 0 blobs uploaded") != std::string::npos);

  // An edit, a new card and a deletion on the device.
  std::vector<fs::path> cards = testing::FilesIn(s.h.tree / "contacts/personal");
  std::string edited = testing::ReadFileBytes(cards[0]);
  edited.insert(edited.rfind("END:VCARD"), "NOTE:pushed again\r\n");
  testing::WriteFileBytes(cards[0], edited);
  fs::remove(cards[1]);
  testing::WriteFileBytes(s.h.tree / "contacts/personal/new.vcf",
                          "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:brand-new\r\nFN:New\r\nEND:VCARD\r\n");
  REQUIRE(s.h.Holdfast({"capture"}).exit_code == kExitOk);
  status = s.h.Status();
  CHECK(status["remotes"][0]["pending_puts"] == 2);
  CHECK(status["remotes"][0]["pending_deletes"] == 1);
  ProcessResult third = s.h.Holdfast({"push"});
  REQUIRE_MESSAGE(third.exit_code == kExitOk, third.err);
  CHECK(third.out.find("2 items stored, 0 already there, 1 deletions") != std::string::npos);
  CHECK(s.InSync());
}

TEST_CASE("a push killed at random moments resumes to an inventory equal to the vault, without resending") {
  Setup s;
  // Slow enough (60 ms a request) that kills 100-500 ms in land mid-push.
  testing::ServerProcess server(s.data, {"--faults", "seed=3,latency_ms=60"});
  s.AddRemote(server.url());
  std::mt19937_64 rng(99);
  int killed = 0;
  for (int i = 0; i < 8; ++i) {
    testing::ChildProcess child({testing::HoldfastBinary(), "--vault", s.h.vault, "--config", s.h.config, "push"});
    child.ReadFor(static_cast<int>(100 + rng() % 400));
    if (child.KillAndWait() != 0) ++killed;
    // After each kill the vault opens and its ledger never claims more than the server holds.
    nlohmann::json status = s.h.Status();
    const int acked = status["remotes"][0]["acknowledged"].get<int>();
    int on_server = 0;
    for (const auto& [id, entry] : ServerInventory(s.data, "phone")) on_server += std::stoi(entry);
    CHECK(acked <= on_server);
  }
  MESSAGE(killed << " of 8 pushes were killed before they finished");
  CHECK(killed > 0);
  const int acked_before = s.h.Status()["remotes"][0]["acknowledged"].get<int>();
  ProcessResult finish = s.h.Holdfast({"push"});
  REQUIRE_MESSAGE(finish.exit_code == kExitOk, (finish.out + finish.err));
  // What was acknowledged before is not sent again.
  std::istringstream out(finish.out.substr(finish.out.find(": ") + 2));
  int stored = 0, unchanged = 0;
  std::string word;
  out >> stored >> word >> word >> unchanged;
  CHECK(stored + unchanged == 590 - acked_before);
  CHECK(s.InSync());
}

TEST_CASE("every injected fault kind converges to an inventory equal to the vault") {
  const char* kinds[] = {"error500=0.3", "error503=0.2", "error429=0.2", "reset_before=0.3", "reset_after=0.3",
                         "truncate=0.3", "latency_ms=40"};
  int seed = 1;
  for (const std::string fault : kinds) {
    CAPTURE(fault);
    Setup s;
    testing::ServerProcess server(s.data, {"--faults", "seed=" + std::to_string(seed++) + "," + fault});
    s.AddRemote(server.url());
    ProcessResult push;
    int attempts = 0;
    do {
      push = s.h.Holdfast({"push"});
    } while (push.exit_code != kExitOk && ++attempts < 5);
    CHECK_MESSAGE(push.exit_code == kExitOk, (push.out + push.err));
    CHECK(s.InSync());
    if (fault.rfind("latency", 0) != 0) {
      CHECK_MESSAGE(push.out.find(" 0 retries") == std::string::npos, "the fault was never hit: " << push.out);
    }
  }
}

TEST_CASE("a bad token is refused with auth-failed and never printed") {
  Setup s;
  testing::ServerProcess server(s.data);
  s.AddRemote(server.url());
  testing::WriteTokenFile(s.token_file, std::string(64, 'f'));
  ProcessResult refused = s.h.Holdfast({"push"});
  CHECK(refused.exit_code == kExitRemoteRefused);
  CHECK(refused.err.find("auth-failed") != std::string::npos);
  CHECK(refused.err.find(std::string(64, 'f')) == std::string::npos);
  CHECK(s.h.Status()["remotes"][0]["acknowledged"] == 0);
  // A token file others can read is refused before anything is sent.
  testing::WriteTokenFile(s.token_file, s.token);
  REQUIRE(chmod(s.token_file.c_str(), 0644) == 0);
  ProcessResult open_file = s.h.Holdfast({"push"});
  CHECK(open_file.exit_code == kExitRemoteRefused);
  CHECK(open_file.err.find("chmod 600") != std::string::npos);
  CHECK(open_file.err.find(s.token) == std::string::npos);
}

TEST_CASE("over TLS with the test CA the push works; an expired or unknown certificate is refused") {
  Setup s;
  testing::TestCerts certs = testing::MakeTestCerts(s.h.dir.path());
  {
    testing::ServerProcess server(s.data, {"--tls-cert", certs.server_pem.string(), "--tls-key", certs.server_key.string()});
    REQUIRE(server.url().rfind("https://", 0) == 0);
    s.AddRemote(server.url(), {"--ca-file", certs.ca_pem.string()});
    ProcessResult pushed = s.h.Holdfast({"push"});
    CHECK_MESSAGE(pushed.exit_code == kExitOk, (pushed.out + pushed.err));
    CHECK(s.InSync());
  }
  {
    // The same server certificate, but its time is past.
    testing::ServerProcess expired(s.data, {"--tls-cert", certs.expired_pem.string(), "--tls-key", certs.server_key.string()});
    testing::TempDir other;
    const std::string config = (other / "config.json").string();
    REQUIRE(RunProcess({testing::HoldfastBinary(), "--config", config, "remote", "add", "home", "--url", expired.url(),
                        "--account", "phone", "--token-file", s.token_file.string(), "--ca-file", certs.ca_pem.string()})
                .exit_code == kExitOk);
    ProcessResult refused = RunProcess({testing::HoldfastBinary(), "--vault", s.h.vault, "--config", config, "push"});
    CHECK(refused.exit_code == kExitRemoteRefused);
    CHECK(refused.err.find("tls-failure") != std::string::npos);
    // Without the test CA the (valid) certificate is not trusted either.
    const std::string config2 = (other / "config2.json").string();
    testing::ServerProcess valid(s.data, {"--tls-cert", certs.server_pem.string(), "--tls-key", certs.server_key.string()});
    REQUIRE(RunProcess({testing::HoldfastBinary(), "--config", config2, "remote", "add", "home", "--url", valid.url(),
                        "--account", "phone", "--token-file", s.token_file.string()})
                .exit_code == kExitOk);
    ProcessResult unknown = RunProcess({testing::HoldfastBinary(), "--vault", s.h.vault, "--config", config2, "push"});
    CHECK(unknown.exit_code == kExitRemoteRefused);
    CHECK(unknown.err.find("tls-failure") != std::string::npos);
  }
}

// The base64 SHA-256 of the public key (SubjectPublicKeyInfo, DER) in a PEM private key file.
std::string PinOf(const fs::path& key_pem) {
  BIO* bio = BIO_new_file(key_pem.c_str(), "r");
  REQUIRE(bio != nullptr);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(key != nullptr);
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key, &der);
  EVP_PKEY_free(key);
  REQUIRE(size > 0);
  const platform::Digest digest = platform::Sha256Of(std::string_view(reinterpret_cast<const char*>(der), size));
  OPENSSL_free(der);
  return platform::Base64Encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

// The lines of a server's --request-log (none when it was never written).
std::vector<std::string> LoggedRequests(const fs::path& log) {
  std::vector<std::string> lines;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_CASE("with --pin-sha256 the right key pushes and another key fails with tls-failure before any request") {
  Setup s;
  testing::TestCerts certs = testing::MakeTestCerts(s.h.dir.path());
  const fs::path log = s.h.dir / "requests.log";
  testing::ServerProcess server(s.data, {"--tls-cert", certs.server_pem.string(), "--tls-key", certs.server_key.string(),
                                         "--request-log", log.string()});
  // The wrong pin: a certificate the CA signed, but not the key pinned.
  testing::TempDir other;
  const std::string config = (other / "config.json").string();
  const std::string wrong = platform::Base64Encode(std::string(32, 'x'));
  ProcessResult added = RunProcess({testing::HoldfastBinary(), "--config", config, "remote", "add", "home", "--url",
                                    server.url(), "--account", "phone", "--token-file", s.token_file.string(),
                                    "--ca-file", certs.ca_pem.string(), "--pin-sha256", wrong});
  REQUIRE_MESSAGE(added.exit_code == kExitOk, added.err);
  ProcessResult refused = RunProcess({testing::HoldfastBinary(), "--vault", s.h.vault, "--config", config, "push"});
  CHECK(refused.exit_code == kExitRemoteRefused);
  CHECK_MESSAGE(refused.err.find("tls-failure") != std::string::npos, refused.err);
  CHECK(LoggedRequests(log).empty());
  CHECK(ServerInventory(s.data, "phone").empty());

  // The right pin.
  s.AddRemote(server.url(), {"--ca-file", certs.ca_pem.string(), "--pin-sha256", PinOf(certs.server_key)});
  CHECK(s.h.Holdfast({"remote", "list"}).exit_code == kExitOk);
  ProcessResult pushed = s.h.Holdfast({"push"});
  CHECK_MESSAGE(pushed.exit_code == kExitOk, (pushed.out + pushed.err));
  CHECK(s.InSync());
  CHECK_FALSE(LoggedRequests(log).empty());

  // A pin that is not a base64 SHA-256 is refused when the remote is added.
  ProcessResult bad = RunProcess({testing::HoldfastBinary(), "--config", (other / "c2.json").string(), "remote", "add",
                                  "home", "--url", server.url(), "--account", "phone", "--token-file",
                                  s.token_file.string(), "--pin-sha256", "abc"});
  CHECK(bad.exit_code != kExitOk);
}

TEST_CASE("a URL that curl reads as another host than the text shows is refused, and no token is sent") {
  Setup s;
  const fs::path log = s.h.dir / "requests.log";
  testing::ServerProcess server(s.data, {"--request-log", log.string()});
  const std::string port = std::to_string(server.port());
  // curl connects to 0.0.0.0 (the fragment holds "@127.0.0.1"); a URL with
  // user info or one curl rewrites is refused the same way.
  for (const std::string& url : {"http://0.0.0.0:" + port + "#@127.0.0.1", "http://0.0.0.0:" + port + "/#@127.0.0.1",
                                 "http://u@127.0.0.1:" + port, "http://127.1:" + port, "http://0.0.0.0:" + port,
                                 "HTTP://127.0.0.1:" + port, "http://127.0.0.1:" + port + "/a/../b",
                                 "http://127.0.0.1:" + port + "?x=1"}) {
    CAPTURE(url);
    testing::TempDir other;
    const std::string config = (other / "config.json").string();
    ProcessResult added = RunProcess({testing::HoldfastBinary(), "--config", config, "remote", "add", "home", "--url", url,
                                      "--account", "phone", "--token-file", s.token_file.string()});
    CHECK(added.exit_code != kExitOk);
    // A config edited by hand is refused too, before anything is sent.
    nlohmann::json doc = {{"version", 1},
                          {"remotes", {{{"name", "home"}, {"url", url}, {"account", "phone"},
                                        {"token_file", s.token_file.string()}}}}};
    std::ofstream(config) << doc.dump();
    ProcessResult pushed = RunProcess({testing::HoldfastBinary(), "--vault", s.h.vault, "--config", config, "push"});
    CHECK(pushed.exit_code != kExitOk);
  }
  CHECK(LoggedRequests(log).empty());
  CHECK(ServerInventory(s.data, "phone").empty());
  // The plain loopback URL, with or without a trailing slash, still works.
  s.AddRemote("http://127.0.0.1:" + port + "/");
  ProcessResult pushed = s.h.Holdfast({"push"});
  CHECK_MESSAGE(pushed.exit_code == kExitOk, (pushed.out + pushed.err));
  CHECK(s.InSync());
}

// A TCP server on 127.0.0.1 that answers every connection with `reply`, for
// a bounded number of connections.
class GarbageServer {
 public:
  explicit GarbageServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = testing::BindLoopback(&port_);
    REQUIRE(listen(fd_, 16) == 0);
    thread_ = std::thread([this]() {
      for (int i = 0; i < 200 && !stop_; ++i) {
        int client = accept(fd_, nullptr, nullptr);
        if (client < 0) return;
        char buffer[4096];
        (void)!read(client, buffer, sizeof buffer);
        (void)!write(client, reply_.data(), reply_.size());
        close(client);
      }
    });
  }
  ~GarbageServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_CASE("a server that answers garbage is reported as a server error and changes nothing") {
  Setup s;
  for (const std::string& reply : {std::string("\x01\x02 not http at all\r\n\r\n"),
                                  std::string("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
                                  std::string("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\ncut")}) {
    CAPTURE(reply);
    GarbageServer garbage(reply);
    testing::TempDir other;
    const std::string config = (other / "config.json").string();
    REQUIRE(RunProcess({testing::HoldfastBinary(), "--config", config, "remote", "add", "home", "--url", garbage.url(),
                        "--account", "phone", "--token-file", s.token_file.string()})
                .exit_code == kExitOk);
    ProcessResult push = RunProcess({testing::HoldfastBinary(), "--vault", s.h.vault, "--config", config, "push"});
    CHECK(push.exit_code == kExitRemote);
    CHECK((push.err.find("server-error") != std::string::npos || push.err.find("network-error") != std::string::npos));
    CHECK(s.h.Status()["kinds"]["contact"]["items"] == 200);
  }
}

TEST_CASE("--max-rate keeps the push at or under the rate asked") {
  Setup s;
  testing::ServerProcess server(s.data);
  s.AddRemote(server.url());
  // About 4.8 MB of content (and more on the wire, as base64 and JSON) at
  // 1 MiB/s cannot take less than 4 s; without a limit it takes under 1 s here.
  const auto started = std::chrono::steady_clock::now();
  ProcessResult limited = s.h.Holdfast({"push", "--max-rate", "1M"});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  REQUIRE_MESSAGE(limited.exit_code == kExitOk, limited.err);
  CHECK(seconds >= 4.0);
  CHECK(s.InSync());
  CHECK(s.h.Holdfast({"push", "--max-rate", "fast"}).exit_code == kExitUsage);
}

TEST_CASE("plain http is refused except to loopback unless the user insists") {
  Setup s;
  ProcessResult refused = s.h.Holdfast({"remote", "add", "far", "--url", "http://sync.example.net", "--account", "phone",
                                        "--token-file", s.token_file.string()});
  CHECK(refused.exit_code == kExitUsage);
  CHECK(refused.err.find("unencrypted") != std::string::npos);
  ProcessResult insisted = s.h.Holdfast({"remote", "add", "far", "--url", "http://sync.example.net", "--account",
                                         "phone", "--token-file", s.token_file.string(), "--insecure-plain-http"});
  CHECK(insisted.exit_code == kExitOk);
  CHECK(insisted.err.find("unencrypted") != std::string::npos);
}

}  // namespace
}  // namespace holdfast
