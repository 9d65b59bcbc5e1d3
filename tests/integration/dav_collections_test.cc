// Items a server refuses, through the real holdfast binary against real
// servers (issue 14):
//   - Radicale refusing a vCard it cannot parse: the good ones are stored, the
//     bad one is named by push and by status (text and JSON) and stays in the
//     vault; once the device fixes it, the refusal is gone.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/exit_codes.h"
#include "platform/dav/multistatus.h"
#include "tests/support/dav_server.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitAttention;
using agent::kExitOk;
using agent::kExitRemote;
using testing::DavServer;
using testing::DavServerKind;
using testing::ProcessResult;
using testing::RunProcess;

std::string Card(const std::string& uid, const std::string& extra = "") {
  return "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + uid + "\r\nFN:Person " + uid + "\r\nN:Person;" + uid + ";;;\r\n" +
         extra + "END:VCARD\r\n";
}

// A device whose vdirs hold one collection per source (a subfolder), a
// vault, and the server as a DAV remote named "dav".
struct Device {
  DavServer& server;
  testing::TempDir dir;
  std::string vault = (dir / "vault.db").string();
  std::string config = (dir / "config.json").string();

  explicit Device(DavServer& s) : server(s) { REQUIRE(Holdfast({"init"}).exit_code == kExitOk); }

  ProcessResult Holdfast(std::vector<std::string> args) const {
    args.insert(args.begin(), {testing::HoldfastBinary(), "--vault", vault, "--config", config});
    return RunProcess(args);
  }
  void Require(const std::vector<std::string>& args) const {
    ProcessResult run = Holdfast(args);
    REQUIRE_MESSAGE(run.exit_code == kExitOk, (args.front() + ": " + run.out + run.err));
  }
  // Source `name` of `kind` whose collection `collection` holds `files`.
  void AddSource(const std::string& kind, const std::string& name, const std::string& collection,
                 const std::vector<std::pair<std::string, std::string>>& files) {
    fs::create_directories(dir / name / collection);
    for (const auto& [file, text] : files) testing::WriteFileBytes(dir / name / collection / file, text);
    Require({"source", "add", "--kind", kind, (dir / name).string(), "--name", name});
  }
  void AddRemote() {
    std::vector<std::string> add = {"remote", "add", "dav", "--type", "dav", "--url", server.url() + server.base_path()};
    if (server.has_auth()) {
      const fs::path password = dir / "password";
      testing::WriteFileBytes(password, server.password() + "\n");
      REQUIRE(chmod(password.c_str(), 0600) == 0);
      add.insert(add.end(), {"--user", server.user(), "--password-file", password.string()});
    }
    Require(add);
  }

  // curl `method` on a path under url(): the status; the body in `body`.
  std::string Curl(const std::string& method, const std::string& path, std::string* body = nullptr,
                   const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {"/usr/bin/curl", "-s", "-X", method, "-o", (dir / "answer").string(), "-w",
                                     "%{http_code}"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (server.has_auth()) argv.insert(argv.end(), {"-u", server.user() + ":" + server.password()});
    argv.push_back(server.url() + path);
    ProcessResult run = RunProcess(argv, {}, 30);
    if (body) *body = fs::exists(dir / "answer") ? testing::ReadFileBytes(dir / "answer") : "";
    return run.out;
  }

  // The members of the collection at `path` (PROPFIND Depth 1, by curl and
  // the multistatus parser): their hrefs. Anything but a 207 fails the test.
  std::vector<std::string> Members(const std::string& path) {
    std::string body;
    const std::string status = Curl("PROPFIND", path, &body, {"-H", "Depth: 1"});
    REQUIRE_MESSAGE(status == "207", "PROPFIND " << path << " answered " << status);
    auto parsed = platform::dav::ParseMultistatus(body);
    REQUIRE(parsed);
    std::vector<std::string> hrefs;
    for (const auto& r : parsed->responses) {
      if (r.status && *r.status == 404) continue;
      if (r.href.size() > path.size() && r.href.find(path) != std::string::npos) hrefs.push_back(r.href);
    }
    return hrefs;
  }
  size_t Count(const std::string& path, const std::string& text) {
    size_t n = 0;
    for (const std::string& href : Members(path)) n += href.find(text) != std::string::npos;
    return n;
  }
};

TEST_CASE("radicale refuses a vCard it cannot parse: the good ones are stored, the refused one is named by push and "
          "status and stays in the vault until fixed") {
  DavServer server(DavServerKind::kRadicale);
  Device d(server);
  // An unterminated quoted parameter: Holdfast keeps the file, Radicale
  // answers 400 Bad Request.
  const std::string bad = Card("card-bad", "X-BROKEN;PARAM=\"unterminated:value\r\n");
  d.AddSource("contacts", "contacts", "people",
              {{"a.vcf", Card("card-a")}, {"b.vcf", Card("card-b")}, {"bad.vcf", bad}});
  d.Require({"capture"});
  REQUIRE_MESSAGE(d.Holdfast({"status", "--json"}).out.find("\"items\": 3") != std::string::npos,
                  d.Holdfast({"status"}).out);
  d.AddRemote();
  ProcessResult push = d.Holdfast({"push"});
  CHECK_MESSAGE(push.exit_code == kExitRemote, (push.out + push.err));
  CHECK_MESSAGE(push.out.find("card-bad") != std::string::npos, push.out);
  CHECK(push.out.find("400") != std::string::npos);
  CHECK(push.out.find("card-a") == std::string::npos);

  ProcessResult status = d.Holdfast({"status"});
  CHECK_MESSAGE(status.out.find("REFUSED by the server (1 items") != std::string::npos, status.out);
  CHECK(status.out.find("item 'card-bad' in contacts/people") != std::string::npos);
  CHECK(status.out.find("HTTP 400") != std::string::npos);
  nlohmann::json json = nlohmann::json::parse(d.Holdfast({"status", "--json"}).out, nullptr, false);
  REQUIRE(json.is_object());
  const nlohmann::json& refused = json["remotes"][0]["refused"];
  REQUIRE(refused.is_array());
  REQUIRE(refused.size() == 1);
  CHECK(refused[0]["uid"] == "card-bad");
  CHECK(refused[0]["collection"] == "people");
  CHECK(refused[0]["sha256"].get<std::string>().size() == 64);
  CHECK(refused[0]["reason"].get<std::string>().find("HTTP 400") == 0);
  CHECK(json["remotes"][0]["acknowledged"] == 2);

  ProcessResult healthy = d.Holdfast({"check"});
  CHECK_MESSAGE(healthy.exit_code == kExitOk, (healthy.out + healthy.err));

  // Fixed on the device: stored, and the refusal is gone.
  testing::WriteFileBytes(d.dir / "contacts" / "people" / "bad.vcf", Card("card-bad"));
  d.Require({"capture"});
  ProcessResult fixed = d.Holdfast({"push"});
  CHECK_MESSAGE(fixed.exit_code == kExitOk, (fixed.out + fixed.err));
  CHECK(d.Holdfast({"status"}).out.find("REFUSED") == std::string::npos);
  nlohmann::json after = nlohmann::json::parse(d.Holdfast({"status", "--json"}).out, nullptr, false);
  CHECK(after["remotes"][0]["refused"].empty());
}

}  // namespace
}  // namespace holdfast
