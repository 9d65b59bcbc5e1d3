// Test support: a real CalDAV/CardDAV/WebDAV server from a Debian package
// (Radicale 3, Xandikos, Apache mod_dav_fs, nginx dav + dav_ext), started on
// 127.0.0.1 on a free port in a scratch folder of its own (config, storage,
// log, pid), as the current user, and stopped with its whole process group by
// the destructor. The configs are the templates in tests/support/dav/, which
// tools/dav/probe.sh uses too; docs/dav.md lists what each server was
// measured to do.
//
// Wipes are the test's business: storage_dir() is the folder that holds every
// collection; delete it, or save a copy and put it back later, while the
// server runs or while it is stopped (Stop, then Start on the same port and
// storage).
//
// Running as root: Radicale, Xandikos and nginx ("user root root;") serve as
// root. Apache refuses to, so it serves as nobody:nogroup: the scratch folder
// is made traversable (0711) and storage_dir() is handed to nobody at each
// Start and RestoreStorage. Files a test writes into storage_dir() while
// Apache runs belong to root and are read-only to Apache.
//
// Not thread-safe; one object per server. Failures to start fail the current
// test (doctest REQUIRE) with the server's log.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace holdfast::testing {

// kXandikosBearer: Xandikos on an inner port behind nginx as a reverse proxy
// that lets through only requests with "Authorization: Bearer
// bearer_token()" (401 to any other); port() is the proxy's. Not in
// kAllDavServerKinds: it is Xandikos, measured as such.
enum class DavServerKind { kRadicale, kXandikos, kApache, kNginx, kXandikosBearer };

// "radicale", "xandikos", "apache", "nginx", "xandikos-bearer".
const char* DavServerName(DavServerKind kind);
inline constexpr DavServerKind kAllDavServerKinds[] = {DavServerKind::kRadicale, DavServerKind::kXandikos,
                                                       DavServerKind::kApache, DavServerKind::kNginx};

class DavServer {
 public:
  // Writes the config into a new scratch folder under $TMPDIR and starts the
  // server (see Start).
  explicit DavServer(DavServerKind kind);
  // Stops the server; the scratch folder goes with it (kept when
  // HOLDFAST_KEEP_TEMP is set).
  ~DavServer();
  DavServer(const DavServer&) = delete;
  DavServer& operator=(const DavServer&) = delete;

  // Starts the server on port() and waits, at most 20 s, until it answers an
  // HTTP request. The first start picks a free port (and picks again if the
  // server exits at once, e.g. because another process took the port); later
  // starts reuse it, so URLs stay valid. Creates storage_dir() when missing
  // (an empty folder, as after a reinstall). No-op when running.
  void Start();
  // SIGTERM to the server's process group, SIGKILL after 10 s; idempotent.
  // The storage stays.
  void Stop();
  bool running();

  DavServerKind kind() const { return kind_; }
  const char* name() const { return DavServerName(kind_); }
  int port() const { return port_; }
  // "http://127.0.0.1:PORT".
  std::string url() const;
  // Where a client starts, under url(): the principal for Radicale
  // ("/holdfast/", the user's name) and Xandikos ("/user/"), the WebDAV
  // folder "/dav/" for Apache and nginx. Ends with '/'.
  std::string base_path() const;
  // HTTP Basic credentials. Xandikos has no authentication of its own (it
  // expects a reverse proxy): user() and password() are empty for it and it
  // answers anyone.
  bool has_auth() const { return kind_ != DavServerKind::kXandikos && kind_ != DavServerKind::kXandikosBearer; }
  std::string user() const;
  std::string password() const;
  // The token the bearer proxy accepts (kXandikosBearer), else empty.
  std::string bearer_token() const;
  // Xandikos, with or without the proxy in front (the same paths).
  bool xandikos() const { return kind_ == DavServerKind::kXandikos || kind_ == DavServerKind::kXandikosBearer; }

  // The folder holding all the server's data (every collection and item).
  const std::filesystem::path& storage_dir() const { return storage_dir_; }
  const std::filesystem::path& scratch_dir() const { return scratch_.path(); }
  // Everything the server wrote to stdout, stderr and its error log.
  std::string ReadLog() const;

  // Wipes: deletes storage_dir() with all it holds (the server may run).
  void DeleteStorage();
  // Copies storage_dir() to `copy` (cp -a), e.g. as the "older backup".
  void SaveStorage(const std::filesystem::path& copy) const;
  // Replaces storage_dir() with a copy of `copy` (the server may run).
  void RestoreStorage(const std::filesystem::path& copy);

 private:
  std::vector<std::string> Command() const;
  void WriteConfig() const;
  void PrepareStorage() const;
  bool TryStart(std::string* why);
  bool AwaitAnswer(ChildProcess* child, int port, std::string* why);

  DavServerKind kind_;
  TempDir scratch_;
  std::filesystem::path storage_dir_;
  std::filesystem::path log_path_;
  int port_ = 0;
  int inner_port_ = 0;  // kXandikosBearer: where Xandikos listens behind the proxy
  std::unique_ptr<ChildProcess> child_;
  std::unique_ptr<ChildProcess> proxy_;  // kXandikosBearer only
};

}  // namespace holdfast::testing
