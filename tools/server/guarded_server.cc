#include "tools/server/guarded_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

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

// A connection's socket as httplib reads it, buffered (httplib reads request
// lines a byte at a time), failing a read once the request in progress came
// slower than the minimum rate after its grace period.
class RateBoundStream : public httplib::Stream {
 public:
  RateBoundStream(int fd, const ConnectionLimits& limits) : fd_(fd), limits_(limits) {}

  // A new request starts: its clock and byte count restart.
  void StartRequest() {
    started_ = Clock::now();
    request_bytes_ = 0;
  }

  bool Buffered() const { return size_ > position_; }

  bool is_readable() const override { return size_ > position_ || WaitFor(fd_, POLLIN, limits_.read_timeout_s * 1000); }
  bool is_writable() const override { return WaitFor(fd_, POLLOUT, limits_.write_timeout_s * 1000); }

  ssize_t read(char* ptr, size_t size) override {
    if (position_ == size_) {
      if (TooSlow() || !WaitFor(fd_, POLLIN, ReadWaitMs())) return -1;
      ssize_t got;
      do {
        got = recv(fd_, buffer_, sizeof(buffer_), 0);
      } while (got < 0 && errno == EINTR);
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
    if (!is_writable()) return -1;
    ssize_t sent;
    do {
      sent = send(fd_, ptr, size, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent;
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

  int fd_;
  const ConnectionLimits& limits_;
  char buffer_[16384];
  size_t position_ = 0;
  size_t size_ = 0;
  Clock::time_point started_ = Clock::now();
  size_t request_bytes_ = 0;
};

}  // namespace

void ConfigureLimits(httplib::Server& server, const ConnectionLimits& limits) {
  const size_t threads = limits.worker_threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_keep_alive_max_count(limits.keep_alive_max_requests);
  server.set_keep_alive_timeout(limits.keep_alive_timeout_s);
  server.set_read_timeout(limits.read_timeout_s);
  server.set_write_timeout(limits.write_timeout_s);
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

bool GuardedServer::process_and_close_socket(socket_t sock) {
  std::string address;
  int port = 0;
  Address(sock, true, address, port);
  bool ok = false;
  if (Admit(address)) {
    RateBoundStream stream(sock, limits_);
    for (size_t served = 0; served < limits_.keep_alive_max_requests && is_running(); ++served) {
      if (!stream.Buffered() && !WaitFor(sock, POLLIN, limits_.keep_alive_timeout_s * 1000)) break;
      stream.StartRequest();
      bool closed = false;
      ok = process_request(stream, served + 1 == limits_.keep_alive_max_requests, closed, nullptr);
      if (!ok || closed) break;
    }
    Release(address);
  }
  shutdown(sock, SHUT_RDWR);
  close(sock);
  return ok;
}

}  // namespace holdfast::server
