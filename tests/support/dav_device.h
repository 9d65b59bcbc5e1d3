// Test support: a device for the DAV integration tests, driven through the
// real `holdfast` binary: a scratch folder of its own (for the test's vdirs),
// a vault and a config in it, and a real DAV server (tests/support/
// dav_server.h) to add as its remote. A test derives its own device from this
// one and keeps there what it puts on the device and what it looks for.
//
// The server is either the device's own (started by the constructor, stopped
// with the device) or one the test owns and lets outlive the device.
//
// What the server holds is read by curl and the multistatus parser, never by
// the agent's own code: Curl sends one request with the server's
// credentials, Propfind lists a collection. An answer that is not the one
// asked for (401, 5xx, none at all) fails the test; it never passes for
// "empty". Scratch files of these helpers in dir(): "answer", "upload",
// "password", "token".
//
// Not thread-safe; failures fail the current test (doctest REQUIRE).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/dav_server.h"
#include "tests/support/temp_dir.h"

namespace holdfast::testing {

struct DavDevice {
 private:
  std::unique_ptr<DavServer> owned_server_;  // before `server`: it refers to it

 public:
  DavServer& server;
  TempDir dir;
  std::string vault = (dir / "vault.db").string();
  std::string config = (dir / "config.json").string();
  // How long one holdfast command may run: CommandTimeoutSeconds() when 0.
  int holdfast_timeout_s = 0;

  // Starts a server of `kind` for this device alone.
  explicit DavDevice(DavServerKind kind);
  // Uses `shared`, which must outlive the device.
  explicit DavDevice(DavServer& shared);
  DavDevice(const DavDevice&) = delete;
  DavDevice& operator=(const DavDevice&) = delete;

  // The command line of `holdfast ARGS` with --vault and --config set.
  std::vector<std::string> HoldfastCommand(const std::vector<std::string>& args) const;
  // Runs `holdfast ARGS` with --vault and --config set.
  ProcessResult Holdfast(const std::vector<std::string>& args) const;
  // Runs `holdfast ARGS`; fails the test, with its output, unless it exits 0.
  void Require(const std::vector<std::string>& args) const;

  // `holdfast remote add dav --type dav --url URL EXTRA...` with the server's
  // credentials: a token file (dir()/token, mode 0600) when the server takes
  // a bearer token, else a user and a password file (dir()/password, 0600)
  // when it asks for a password, else none. Fails the test unless it exits 0.
  void AddRemote(const std::string& url, const std::vector<std::string>& extra = {});

  // sqlite3 on the vault (the CLI, not the agent's code): its output. Fails
  // the test when sqlite3 does.
  std::string Sql(const std::string& sql) const;

  // curl `method` on server.url() + `path` with `extra` arguments (headers,
  // a body; see Upload) and the server's credentials (Basic, Bearer, or
  // none), at most `timeout_s` seconds: the HTTP status as curl prints it
  // ("000" when nothing answered), and the answer's body in `body` when
  // given.
  std::string Curl(const std::string& method, const std::string& path, std::string* body = nullptr,
                   const std::vector<std::string>& extra = {}, int timeout_s = 30);
  // Curl's arguments that send `bytes` (written to dir()/upload) as the body,
  // with a Content-Type header when `content_type` is not empty.
  std::vector<std::string> Upload(const std::string& bytes, const std::string& content_type = "");
  // PUT `vcard` at `path` as text/vcard (no precondition): the status.
  std::string PutVCard(const std::string& path, const std::string& vcard);

  // PROPFIND Depth 1 on `path` by curl, parsed by the multistatus parser:
  // the href of every response not marked 404 (`path` itself among them, as
  // the server spells it). A 404 for `path` itself is an empty list when
  // `missing_is_empty`; any other answer than 207, or one that does not
  // parse, fails the test.
  std::vector<std::string> Propfind(const std::string& path, bool missing_is_empty);
  // Propfind's hrefs that are longer than `path` and contain it: the members.
  std::vector<std::string> Members(const std::string& path, bool missing_is_empty);
};

}  // namespace holdfast::testing
