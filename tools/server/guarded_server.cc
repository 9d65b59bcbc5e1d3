#include "tools/server/guarded_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace holdfast::server {
namespace {

using Clock = std::chrono::steady_clock;

bool WaitFor(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int rc;
  do {
    rc = poll(&p, 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  return rc > 0 && (p.revents & (events | POLLHUP | POLLERR)) != 0;
}

void Address(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  ip.clear();
  port = -1;
  const int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length)
                      : getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  if (rc != 0) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
    port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    port = ntohs(v6->sin6_port);
  }
  ip = text;
}

// How bytes move on an accepted connection: the socket itself, or TLS over it.
class Transport {
 public:
  virtual ~Transport() = default;
  // Whether a read would find something (or the end) within timeout_ms.
  virtual bool WaitReadable(int timeout_ms) = 0;
  // Reads what is there, waiting at most timeout_ms for it: the byte count,
  // 0 at the end of the connection, -1 on an error or the timeout.
  virtual ssize_t Read(char* buffer, size_t size, int timeout_ms) = 0;
  // Writes some of `data` (TLS: all of it), waiting at most timeout_ms: the
  // byte count, -1 on an error or the timeout.
  virtual ssize_t Write(const char* data, size_t size, int timeout_ms) = 0;
};

// Plain HTTP: the (blocking) socket, polled before each call so that no call blocks.
class SocketTransport : public Transport {
 public:
  explicit SocketTransport(int fd) : fd_(fd) {}

  bool WaitReadable(int timeout_ms) override { return WaitFor(fd_, POLLIN, timeout_ms); }

  ssize_t Read(char* buffer, size_t size, int timeout_ms) override {
    if (!WaitFor(fd_, POLLIN, timeout_ms)) return -1;
    ssize_t got;
    do {
      got = recv(fd_, buffer, size, 0);
    } while (got < 0 && errno == EINTR);
    return got;
  }

  ssize_t Write(const char* data, size_t size, int timeout_ms) override {
    if (!WaitFor(fd_, POLLOUT, timeout_ms)) return -1;
    ssize_t sent;
    do {
      sent = send(fd_, data, size, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent;
  }

 private:
  int fd_;
};

// HTTPS: OpenSSL over a non-blocking socket, so that a peer sending part of
// a TLS record cannot hold a call past its deadline.
class TlsTransport : public Transport {
 public:
  // `ssl` is set up on `fd`, which is non-blocking; both outlive this.
  TlsTransport(SSL* ssl, int fd) : ssl_(ssl), fd_(fd) {}

  // The server side of the handshake, finished by `deadline` or failed.
  bool Handshake(Clock::time_point deadline) {
    for (;;) {
      ERR_clear_error();
      const int rc = SSL_accept(ssl_);
      if (rc == 1) return true;
      if (!Await(SSL_get_error(ssl_, rc), deadline)) return false;
    }
  }

  // Decrypted bytes may wait in OpenSSL with nothing left on the socket.
  bool WaitReadable(int timeout_ms) override { return SSL_pending(ssl_) > 0 || WaitFor(fd_, POLLIN, timeout_ms); }

  ssize_t Read(char* buffer, size_t size, int timeout_ms) override {
    const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    const int want = static_cast<int>(std::min<size_t>(size, INT_MAX));
    for (;;) {
      ERR_clear_error();
      const int got = SSL_read(ssl_, buffer, want);
      if (got > 0) return got;
      const int error = SSL_get_error(ssl_, got);
      if (error == SSL_ERROR_ZERO_RETURN) return 0;
      if (!Await(error, deadline)) return -1;
    }
  }

  ssize_t Write(const char* data, size_t size, int timeout_ms) override {
    const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    const int length = static_cast<int>(std::min<size_t>(size, INT_MAX));
    for (;;) {  // after a WANT_*, OpenSSL wants the same call again
      ERR_clear_error();
      const int sent = SSL_write(ssl_, data, length);
      if (sent > 0) return sent;
      if (!Await(SSL_get_error(ssl_, sent), deadline)) return -1;
    }
  }

  // Sends close_notify if the socket takes it now; does not wait for the peer's.
  void Shutdown() {
    ERR_clear_error();
    SSL_shutdown(ssl_);
  }

 private:
  // After an OpenSSL call failed with `error`: waits, until `deadline`, for
  // what the socket must do before a retry. False when it will not retry.
  bool Await(int error, Clock::time_point deadline) const {
    short events;
    if (error == SSL_ERROR_WANT_READ) {
      events = POLLIN;
    } else if (error == SSL_ERROR_WANT_WRITE) {
      events = POLLOUT;
    } else {
      return false;
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 && WaitFor(fd_, events, static_cast<int>(left));
  }

  SSL* ssl_;
  int fd_;
};

// A connection as httplib reads it, buffered (httplib reads request lines a
// byte at a time), failing a read once the request in progress came slower
// than the minimum rate after its grace period. The rate counts the bytes
// the transport gives (with TLS, decrypted).
class RateBoundStream : public httplib::Stream {
 public:
  RateBoundStream(Transport& transport, int fd, const ConnectionLimits& limits)
      : transport_(transport), fd_(fd), limits_(limits) {}

  // A new request starts: its clock and byte count restart.
  void StartRequest() {
    started_ = Clock::now();
    request_bytes_ = 0;
  }

  bool Buffered() const { return size_ > position_; }

  bool is_readable() const override { return Buffered() || transport_.WaitReadable(limits_.read_timeout_s * 1000); }
  bool is_writable() const override { return WaitFor(fd_, POLLOUT, limits_.write_timeout_s * 1000); }

  ssize_t read(char* ptr, size_t size) override {
    if (position_ == size_) {
      if (TooSlow()) return -1;
      const ssize_t got = transport_.Read(buffer_, sizeof(buffer_), ReadWaitMs());
      if (got <= 0) return got;
      position_ = 0;
      size_ = static_cast<size_t>(got);
      request_bytes_ += size_;
    }
    const size_t n = std::min(size, size_ - position_);
    std::copy(buffer_ + position_, buffer_ + position_ + n, ptr);
    position_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    return transport_.Write(ptr, size, limits_.write_timeout_s * 1000);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { Address(fd_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { Address(fd_, false, ip, port); }
  socket_t socket() const override { return fd_; }

 private:
  double ElapsedS() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }

  // Past the grace period, slower on average than the minimum rate.
  bool TooSlow() const {
    const double elapsed = ElapsedS();
    return elapsed > limits_.request_grace_s &&
           static_cast<double>(request_bytes_) < elapsed * static_cast<double>(limits_.min_request_bytes_per_s);
  }

  // Waits at most the read timeout, and never past the moment the request
  // would become too slow if nothing more came.
  int ReadWaitMs() const {
    const double due_s = std::max<double>(limits_.request_grace_s, static_cast<double>(request_bytes_) /
                                                                        static_cast<double>(limits_.min_request_bytes_per_s));
    const double left_ms = (due_s - ElapsedS()) * 1000.0 + 1.0;
    return static_cast<int>(std::clamp(left_ms, 1.0, limits_.read_timeout_s * 1000.0));
  }

  Transport& transport_;
  int fd_;
  const ConnectionLimits& limits_;
  char buffer_[16384];
  size_t position_ = 0;
  size_t size_ = 0;
  Clock::time_point started_ = Clock::now();
  size_t request_bytes_ = 0;
};

bool SetNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

// The reasons OpenSSL queued on this thread, oldest first.
std::string OpenSslErrors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof(line));
    text += text.empty() ? line : std::string("; ") + line;
  }
  return text.empty() ? "unknown OpenSSL error" : text;
}

}  // namespace

GuardedServer::GuardedServer(const ConnectionLimits& limits) : limits_(limits) {
  const size_t threads = limits.worker_threads;
  new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  set_keep_alive_max_count(limits.keep_alive_max_requests);
  set_keep_alive_timeout(limits.keep_alive_timeout_s);
  set_read_timeout(limits.read_timeout_s);
  set_write_timeout(limits.write_timeout_s);
}

bool GuardedServer::Admit(const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t& open = open_[address];
  if (open >= limits_.max_connections_per_client) return false;
  ++open;
  return true;
}

void GuardedServer::Release(const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = open_.find(address);
  if (it != open_.end() && --it->second == 0) open_.erase(it);
}

Status GuardedServer::UseTls(const std::string& cert_file, const std::string& key_file) {
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> context(SSL_CTX_new(TLS_server_method()), &SSL_CTX_free);
  if (!context || SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate_chain_file(context.get(), cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(context.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(context.get()) != 1) {
    return Status(ErrorCode::kInvalidArgument, "TLS certificate or key: " + OpenSslErrors());
  }
  // A client-started renegotiation is a handshake the deadline does not cover.
  SSL_CTX_set_options(context.get(), SSL_OP_NO_RENEGOTIATION);
  tls_ = std::move(context);
  return Status::Ok();
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  // Requests on one admitted connection, until it closes, idles past the
  // keep-alive timeout, fails or reaches the maximum.
  auto serve = [this, sock](Transport& transport) {
    bool ok = false;
    RateBoundStream stream(transport, sock, limits_);
    for (size_t served = 0; served < limits_.keep_alive_max_requests && is_running(); ++served) {
      if (!stream.Buffered() && !transport.WaitReadable(limits_.keep_alive_timeout_s * 1000)) break;
      stream.StartRequest();
      bool closed = false;
      ok = process_request(stream, served + 1 == limits_.keep_alive_max_requests, closed, nullptr);
      if (!ok || closed) break;
    }
    return ok;
  };

  std::string address;
  int port = 0;
  Address(sock, true, address, port);
  bool ok = false;
  if (Admit(address)) {
    if (!tls_) {
      SocketTransport transport(sock);
      ok = serve(transport);
    } else {
      std::unique_ptr<SSL, void (*)(SSL*)> ssl(SSL_new(tls_.get()), &SSL_free);
      if (ssl && SetNonBlocking(sock) && SSL_set_fd(ssl.get(), sock) == 1) {
        TlsTransport transport(ssl.get(), sock);
        // The handshake comes at no minimum rate: it gets the grace period, in all.
        if (transport.Handshake(Clock::now() + std::chrono::seconds(limits_.request_grace_s))) {
          ok = serve(transport);
          transport.Shutdown();
        }
      }
      ERR_clear_error();
    }
    Release(address);
  }
  shutdown(sock, SHUT_RDWR);
  close(sock);
  return ok;
}

Status GuardedServer::WidenBacklog(int port, int backlog) {
  DIR* fds = opendir("/proc/self/fd");
  if (fds == nullptr) return ErrnoStatus("/proc/self/fd", errno);
  Status result(ErrorCode::kNotFound, "no listening socket on port " + std::to_string(port));
  while (dirent* entry = readdir(fds)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(fds)) continue;
    struct stat st {};
    int listening = 0;
    socklen_t length = sizeof(listening);
    if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || !listening) continue;
    sockaddr_storage address{};
    socklen_t address_length = sizeof(address);
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&address), &address_length) != 0) continue;
    const int bound = address.ss_family == AF_INET    ? ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port)
                      : address.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port)
                                                      : -1;
    if (bound != port) continue;
    result = ::listen(static_cast<int>(fd), backlog) == 0 ? Status::Ok()
                                                          : ErrnoStatus("listen on port " + std::to_string(port), errno);
    break;
  }
  closedir(fds);
  return result;
}

}  // namespace holdfast::server
