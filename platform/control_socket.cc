#include "platform/control_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "platform/clock.h"
#include "platform/sha256.h"

namespace holdfast::platform {
namespace {

// An abstract address: sun_path starts with NUL; the length counts the name.
socklen_t AbstractAddress(const std::string& name, struct sockaddr_un* address) {
  std::memset(address, 0, sizeof *address);
  address->sun_family = AF_UNIX;
  const size_t n = std::min(name.size(), sizeof(address->sun_path) - 1);
  std::memcpy(address->sun_path + 1, name.data(), n);
  return static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

}  // namespace

std::string ControlSocketName(const std::filesystem::path& vault) {
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(vault, ec);
  if (ec) canonical = std::filesystem::absolute(vault, ec);
  const std::string hex = ToHex(Sha256Of(canonical.string()));
  return "holdfast-agent-" + hex.substr(0, 32);
}

Result<UniqueFd> ListenControl(const std::string& name) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return ErrnoStatus("control socket", errno);
  struct sockaddr_un address;
  socklen_t length = AbstractAddress(name, &address);
  if (bind(fd.get(), reinterpret_cast<struct sockaddr*>(&address), length) != 0) {
    if (errno == EADDRINUSE) {
      return Status(ErrorCode::kAlreadyExists, "control socket @" + name + ": another agent listens there");
    }
    return ErrnoStatus("bind control socket @" + name, errno);
  }
  if (listen(fd.get(), 16) != 0) return ErrnoStatus("listen on control socket @" + name, errno);
  return fd;
}

Result<UniqueFd> AcceptControl(int listen_fd) {
  UniqueFd fd(accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Status(ErrorCode::kNotFound, "no connection waiting");
    return ErrnoStatus("accept on the control socket", errno);
  }
  struct ucred peer;
  socklen_t size = sizeof peer;
  if (getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0) {
    return ErrnoStatus("control socket: peer credentials", errno);
  }
  if (peer.uid != getuid() && peer.uid != 0) {
    return Status(ErrorCode::kPermission, "control socket: a process of uid " + std::to_string(peer.uid) +
                                              " (pid " + std::to_string(peer.pid) + ") was refused");
  }
  return fd;
}

Result<UniqueFd> ConnectControl(const std::string& name) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return ErrnoStatus("control socket", errno);
  struct sockaddr_un address;
  socklen_t length = AbstractAddress(name, &address);
  if (connect(fd.get(), reinterpret_cast<struct sockaddr*>(&address), length) != 0) {
    if (errno == ECONNREFUSED || errno == ENOENT) return Status(ErrorCode::kNotFound, "no agent listens on @" + name);
    return ErrnoStatus("connect to the agent on @" + name, errno);
  }
  return fd;
}

Status AskToYield(int connection, int64_t timeout_ms) {
  static const char kAsk[] = "yield\n";
  if (send(connection, kAsk, sizeof kAsk - 1, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof kAsk - 1)) {
    return Status(ErrorCode::kVaultLocked, std::string("the agent (holdfast run) closed the connection instead of "
                                                      "making way (") + std::strerror(errno) +
                                              "); it may be stopping: try again in a moment");
  }
  const int64_t end = SteadyMs() + timeout_ms;
  std::string answer;
  for (;;) {
    const int64_t left = end - SteadyMs();
    if (left <= 0) break;
    struct pollfd p {connection, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    char buffer[16];
    ssize_t n = recv(connection, buffer, sizeof buffer, 0);
    if (n <= 0) {
      return Status(ErrorCode::kVaultLocked, "the agent (holdfast run) closed the connection instead of making way; "
                                             "it may be stopping: try again in a moment");
    }
    answer.append(buffer, static_cast<size_t>(n));
    if (answer.find('\n') != std::string::npos) {
      if (answer.rfind("ok\n", 0) == 0) return Status::Ok();
      return Status(ErrorCode::kVaultLocked, "the agent (holdfast run) refused to make way: " +
                                                 answer.substr(0, answer.find('\n')));
    }
  }
  return Status(ErrorCode::kVaultLocked, "the agent (holdfast run) did not make way within " +
                                             std::to_string(timeout_ms / 1000) + " s; try again in a moment");
}

}  // namespace holdfast::platform
