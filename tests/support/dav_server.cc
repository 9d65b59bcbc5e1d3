#include "tests/support/dav_server.h"

#include "tests/support/loopback.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <doctest/doctest.h>

namespace holdfast::testing {
namespace {

constexpr char kUser[] = "holdfast";
constexpr char kPassword[] = "holdfast-test-password";
constexpr char kBearerToken[] = "holdfast-test-bearer-7f3a9c";
constexpr int kStartTimeoutMs = 20000;
constexpr int kStopGraceMs = 10000;

std::string Template(const std::string& name) {
  std::string text = ReadFileBytes(std::filesystem::path(HOLDFAST_DAV_CONFIG_DIR) / name);
  REQUIRE_MESSAGE(!text.empty(), "missing config template " << HOLDFAST_DAV_CONFIG_DIR << "/" << name);
  return text;
}

void ReplaceAll(std::string* text, const std::string& from, const std::string& to) {
  for (size_t at = text->find(from); at != std::string::npos; at = text->find(from, at + to.size())) {
    text->replace(at, from.size(), to);
  }
}

// A port nobody listens on now. Another process may take it before the
// server binds it; Start() then picks again.
int FreePort() {
  int port = 0;
  close(BindLoopback(&port));
  return port;
}

// Whether something on 127.0.0.1:port answers an HTTP request within 1 s.
bool AnswersHttp(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool answered = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "OPTIONS / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      pollfd pfd{fd, POLLIN, 0};
      char buf[5] = {};
      answered = poll(&pfd, 1, 1000) == 1 && recv(fd, buf, sizeof buf, MSG_WAITALL) == 5 &&
                 std::string(buf, 5) == "HTTP/";
    }
  }
  close(fd);
  return answered;
}

bool IsRoot() { return geteuid() == 0; }

// As root, Apache serves as nobody:nogroup; the folders it writes must be theirs.
void GiveToApacheUser(const std::filesystem::path& path) {
  if (!IsRoot()) return;
  const passwd* pw = getpwnam("nobody");
  const group* gr = getgrnam("nogroup");
  REQUIRE_MESSAGE((pw != nullptr && gr != nullptr), "Apache as root needs the user nobody and group nogroup");
  std::error_code ec;
  REQUIRE(lchown(path.c_str(), pw->pw_uid, gr->gr_gid) == 0);
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    REQUIRE(lchown(it->path().c_str(), pw->pw_uid, gr->gr_gid) == 0);
  }
  REQUIRE_MESSAGE(!ec, path << ": " << ec.message());
}

void RequireInstalled(const std::string& file, const std::string& package) {
  REQUIRE_MESSAGE(access(file.c_str(), R_OK) == 0,
                  file << " is missing: install the Debian package " << package << " (tools/dev.sh test does)");
}

}  // namespace

const char* DavServerName(DavServerKind kind) {
  switch (kind) {
    case DavServerKind::kRadicale: return "radicale";
    case DavServerKind::kXandikos: return "xandikos";
    case DavServerKind::kApache: return "apache";
    case DavServerKind::kNginx: return "nginx";
    case DavServerKind::kXandikosBearer: return "xandikos-bearer";
  }
  return "?";
}

DavServer::DavServer(DavServerKind kind)
    : kind_(kind), storage_dir_(scratch_.path() / "storage"), log_path_(scratch_.path() / "server.log") {
  for (const char* sub : {"htdocs", "lock", "tmp"}) std::filesystem::create_directories(scratch_.path() / sub);
  WriteFileBytes(scratch_.path() / "htpasswd.plain", std::string(kUser) + ":" + kPassword + "\n");
  if (kind_ == DavServerKind::kApache || kind_ == DavServerKind::kNginx) {
    RequireInstalled("/usr/bin/htpasswd", "apache2-utils");
    // bcrypt: Apache checks it itself, nginx through libcrypt.
    ProcessResult made = RunProcess({"/usr/bin/htpasswd", "-cbB", (scratch_.path() / "htpasswd").string(), kUser,
                                     kPassword});
    REQUIRE_MESSAGE(made.exit_code == 0, made.err);
    REQUIRE(chmod((scratch_.path() / "htpasswd").c_str(), 0644) == 0);
  }
  if (kind_ == DavServerKind::kApache && IsRoot()) {
    REQUIRE(chmod(scratch_.path().c_str(), 0711) == 0);
    GiveToApacheUser(scratch_.path() / "lock");
  }
  Start();
}

DavServer::~DavServer() { Stop(); }

std::string DavServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string DavServer::base_path() const {
  switch (kind_) {
    case DavServerKind::kRadicale: return std::string("/") + kUser + "/";
    case DavServerKind::kXandikos:
    case DavServerKind::kXandikosBearer: return "/user/";
    case DavServerKind::kApache:
    case DavServerKind::kNginx: return "/dav/";
  }
  return "/";
}

std::string DavServer::user() const { return has_auth() ? kUser : ""; }
std::string DavServer::password() const { return has_auth() ? kPassword : ""; }

std::string DavServer::bearer_token() const {
  return kind_ == DavServerKind::kXandikosBearer ? kBearerToken : "";
}

std::string DavServer::ReadLog() const {
  std::string log = ReadFileBytes(log_path_);
  if (kind_ == DavServerKind::kXandikosBearer) log += "\n--- proxy:\n" + ReadFileBytes(scratch_.path() / "proxy.log");
  return log;
}

void DavServer::WriteConfig() const {
  const char* name = nullptr;
  std::string user_lines;
  switch (kind_) {
    case DavServerKind::kRadicale: name = "radicale.conf"; break;
    case DavServerKind::kXandikos: return;  // command-line options only
    case DavServerKind::kApache:
      name = "apache2.conf";
      if (IsRoot()) user_lines = "User nobody\nGroup nogroup";
      break;
    case DavServerKind::kNginx:
      name = "nginx.conf";
      if (IsRoot()) user_lines = "user root root;";
      break;
    case DavServerKind::kXandikosBearer:
      name = "nginx-bearer.conf";
      if (IsRoot()) user_lines = "user root root;";
      break;
  }
  std::string text = Template(std::string(name) + ".in");
  ReplaceAll(&text, "@STORAGE@", storage_dir_.string());
  ReplaceAll(&text, "@DIR@", scratch_.path().string());
  ReplaceAll(&text, "@PORT@", std::to_string(port_));
  ReplaceAll(&text, "@USER_LINES@", user_lines);
  ReplaceAll(&text, "@INNER_PORT@", std::to_string(inner_port_));
  ReplaceAll(&text, "@TOKEN@", kBearerToken);
  WriteFileBytes(scratch_.path() / name, text);
}

std::vector<std::string> DavServer::Command() const {
  const std::string dir = scratch_.path().string();
  switch (kind_) {
    case DavServerKind::kRadicale:
      RequireInstalled("/usr/bin/radicale", "radicale");
      return {"/usr/bin/radicale", "--config", dir + "/radicale.conf"};
    case DavServerKind::kXandikos:
    case DavServerKind::kXandikosBearer:
      RequireInstalled("/usr/bin/xandikos", "xandikos");
      // --defaults creates /user/calendars/calendar/ and /user/contacts/addressbook/.
      return {"/usr/bin/xandikos", "-d", storage_dir_.string(), "-l", "127.0.0.1", "-p",
              std::to_string(kind_ == DavServerKind::kXandikosBearer ? inner_port_ : port_), "--defaults",
              "--current-user-principal", "/user/"};
    case DavServerKind::kApache:
      RequireInstalled("/usr/sbin/apache2", "apache2");
      return {"/usr/sbin/apache2", "-f", dir + "/apache2.conf", "-DFOREGROUND"};
    case DavServerKind::kNginx:
      RequireInstalled("/usr/sbin/nginx", "nginx");
      RequireInstalled("/usr/lib/nginx/modules/ngx_http_dav_ext_module.so", "libnginx-mod-http-dav-ext");
      return {"/usr/sbin/nginx", "-p", dir, "-c", dir + "/nginx.conf", "-e", dir + "/server.log"};
  }
  return {};
}

void DavServer::PrepareStorage() const {
  std::filesystem::create_directories(storage_dir_);
  if (kind_ == DavServerKind::kApache) GiveToApacheUser(storage_dir_);
}

bool DavServer::AwaitAnswer(ChildProcess* child, int port, std::string* why) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartTimeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    if (AnswersHttp(port)) return true;
    if (!child->Running()) {
      *why = "exited with wait status " + std::to_string(child->exit_status());
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *why = "did not answer within " + std::to_string(kStartTimeoutMs / 1000) + " s";
  return false;
}

bool DavServer::TryStart(std::string* why) {
  WriteConfig();
  PrepareStorage();
  ChildOptions options;
  options.own_process_group = true;
  options.output_file = log_path_.string();
  const bool proxied = kind_ == DavServerKind::kXandikosBearer;
  child_ = std::make_unique<ChildProcess>(Command(), options);
  bool up = AwaitAnswer(child_.get(), proxied ? inner_port_ : port_, why);
  if (up && proxied) {
    RequireInstalled("/usr/sbin/nginx", "nginx");
    const std::string dir = scratch_.path().string();
    ChildOptions proxy_options = options;
    proxy_options.output_file = dir + "/proxy.out";
    proxy_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/sbin/nginx", "-p", dir, "-c", dir + "/nginx-bearer.conf", "-e",
                                 dir + "/proxy.log"},
        proxy_options);
    up = AwaitAnswer(proxy_.get(), port_, why);
    if (!up) *why = "the bearer proxy " + *why;
  }
  if (!up) Stop();
  return up;
}

void DavServer::Start() {
  if (running()) return;
  const bool first = port_ == 0;
  std::string why;
  for (int attempt = 0; attempt < (first ? 3 : 1); ++attempt) {
    if (first) port_ = FreePort();
    if (first && kind_ == DavServerKind::kXandikosBearer) {
      do inner_port_ = FreePort();
      while (inner_port_ == port_);
    }
    if (TryStart(&why)) return;
  }
  FAIL(name() << " did not start on port " << port_ << ": " << why << "\n--- " << log_path_ << ":\n" << ReadLog());
}

void DavServer::Stop() {
  if (proxy_ != nullptr) {
    proxy_->Terminate(kStopGraceMs);
    proxy_.reset();
  }
  if (child_ == nullptr) return;
  child_->Terminate(kStopGraceMs);
  child_.reset();
}

bool DavServer::running() {
  const bool proxy_up = kind_ != DavServerKind::kXandikosBearer || (proxy_ != nullptr && proxy_->Running());
  return child_ != nullptr && child_->Running() && proxy_up;
}

void DavServer::DeleteStorage() {
  std::error_code ec;
  std::filesystem::remove_all(storage_dir_, ec);
  REQUIRE_MESSAGE(!ec, storage_dir_ << ": " << ec.message());
}

void DavServer::SaveStorage(const std::filesystem::path& copy) const {
  ProcessResult copied = RunProcess({"/bin/cp", "-a", storage_dir_.string(), copy.string()});
  REQUIRE_MESSAGE(copied.exit_code == 0, copied.err);
}

void DavServer::RestoreStorage(const std::filesystem::path& copy) {
  DeleteStorage();
  ProcessResult copied = RunProcess({"/bin/cp", "-a", copy.string(), storage_dir_.string()});
  REQUIRE_MESSAGE(copied.exit_code == 0, copied.err);
  if (kind_ == DavServerKind::kApache) GiveToApacheUser(storage_dir_);
}

}  // namespace holdfast::testing
