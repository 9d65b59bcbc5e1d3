#include "tests/support/dav_device.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "agent/exit_codes.h"
#include "platform/dav/multistatus.h"

namespace holdfast::testing {

namespace fs = std::filesystem;

DavDevice::DavDevice(DavServerKind kind)
    : owned_server_(std::make_unique<DavServer>(kind)), server(*owned_server_) {}

DavDevice::DavDevice(DavServer& shared) : server(shared) {}

std::vector<std::string> DavDevice::HoldfastCommand(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {HoldfastBinary(), "--vault", vault, "--config", config};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

ProcessResult DavDevice::Holdfast(const std::vector<std::string>& args) const {
  return RunProcess(HoldfastCommand(args), {}, holdfast_timeout_s);
}

void DavDevice::Require(const std::vector<std::string>& args) const {
  ProcessResult run = Holdfast(args);
  REQUIRE_MESSAGE(run.exit_code == agent::kExitOk, (args.front() + ": " + run.out + run.err));
}

void DavDevice::AddRemote(const std::string& url, const std::vector<std::string>& extra) {
  std::vector<std::string> add = {"remote", "add", "dav", "--type", "dav", "--url", url};
  add.insert(add.end(), extra.begin(), extra.end());
  if (!server.bearer_token().empty()) {
    const fs::path token = dir / "token";
    WriteFileBytes(token, server.bearer_token() + "\n");
    REQUIRE(chmod(token.c_str(), 0600) == 0);
    add.insert(add.end(), {"--token-file", token.string()});
  } else if (server.has_auth()) {
    const fs::path password = dir / "password";
    WriteFileBytes(password, server.password() + "\n");
    REQUIRE(chmod(password.c_str(), 0600) == 0);
    add.insert(add.end(), {"--user", server.user(), "--password-file", password.string()});
  }
  Require(add);
}

std::string DavDevice::Sql(const std::string& sql) const {
  ProcessResult run = RunProcess({"/usr/bin/sqlite3", vault, sql}, {}, 30);
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  return run.out;
}

std::string DavDevice::Curl(const std::string& method, const std::string& path, std::string* body,
                            const std::vector<std::string>& extra, int timeout_s) {
  std::vector<std::string> argv = {"/usr/bin/curl", "-s", "-X", method, "-o", (dir / "answer").string(), "-w",
                                   "%{http_code}"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  if (server.has_auth()) argv.insert(argv.end(), {"-u", server.user() + ":" + server.password()});
  if (!server.bearer_token().empty()) {
    argv.insert(argv.end(), {"-H", "Authorization: Bearer " + server.bearer_token()});
  }
  argv.push_back(server.url() + path);
  ProcessResult run = RunProcess(argv, {}, timeout_s);
  if (body) *body = fs::exists(dir / "answer") ? ReadFileBytes(dir / "answer") : "";
  return run.out;
}

std::vector<std::string> DavDevice::Upload(const std::string& bytes, const std::string& content_type) {
  WriteFileBytes(dir / "upload", bytes);
  std::vector<std::string> args;
  if (!content_type.empty()) args.insert(args.end(), {"-H", "Content-Type: " + content_type});
  args.insert(args.end(), {"--data-binary", "@" + (dir / "upload").string()});
  return args;
}

std::string DavDevice::PutVCard(const std::string& path, const std::string& vcard) {
  return Curl("PUT", path, nullptr, Upload(vcard, "text/vcard; charset=utf-8"));
}

std::vector<std::string> DavDevice::Propfind(const std::string& path, bool missing_is_empty) {
  std::string body;
  const std::string status = Curl("PROPFIND", path, &body, {"-H", "Depth: 1"});
  std::vector<std::string> hrefs;
  if (missing_is_empty && status == "404") return hrefs;
  REQUIRE_MESSAGE(status == "207", "PROPFIND " << path << " answered '" << status << "'");
  auto parsed = platform::dav::ParseMultistatus(body);
  REQUIRE(parsed);
  for (const auto& r : parsed->responses) {
    if (r.status && *r.status == 404) continue;
    hrefs.push_back(r.href);
  }
  return hrefs;
}

std::vector<std::string> DavDevice::Members(const std::string& path, bool missing_is_empty) {
  std::vector<std::string> members;
  for (const std::string& href : Propfind(path, missing_is_empty)) {
    if (href.size() > path.size() && href.find(path) != std::string::npos) members.push_back(href);
  }
  return members;
}

}  // namespace holdfast::testing
