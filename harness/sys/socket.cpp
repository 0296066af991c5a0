// Socket set-up and its error messages: each names the call and the address.
#include "harness/sys/socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <fmt/format.h>
#include <stdexcept>

#include "harness/sys/platform.hpp"

namespace ipcbench::sys {
namespace {

int milliseconds_until(Deadline deadline) noexcept {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1 << 30));
}

void set_blocking(int fd, bool blocking) {
  const int flags = ::fcntl(fd, F_GETFL);
  const int wanted = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
  if (flags < 0 || ::fcntl(fd, F_SETFL, wanted) != 0) throw fmt::system_error(errno, "fcntl(O_NONBLOCK) on fd {}", fd);
}

// What socket() or accept() could not set on the descriptor as they made it: FD_CLOEXEC and
// O_NONBLOCK where they take no SOCK_CLOEXEC/SOCK_NONBLOCK, SO_NOSIGPIPE where send() has no
// MSG_NOSIGNAL. False, with errno set, when the descriptor refused one.
bool finish_socket([[maybe_unused]] int fd, [[maybe_unused]] bool nonblocking) noexcept {
#if !IPCBENCH_SYS_ATOMIC_CLOEXEC
  if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return false;
  if (nonblocking) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return false;
  }
#endif
#ifdef SO_NOSIGPIPE
  const int on = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on) != 0) return false;
#endif
  return true;
}

}  // namespace

Fd open_socket(const SocketAddress& address, int type) {
#if IPCBENCH_SYS_ATOMIC_CLOEXEC
  type |= SOCK_CLOEXEC;
#endif
  Fd socket(::socket(address.family(), type, 0));
  if (!socket) throw fmt::system_error(errno, "socket() for {}", address.to_string());
  if (!finish_socket(socket.get(), false)) throw fmt::system_error(errno, "fcntl/setsockopt on the socket for {}", address.to_string());
  return socket;
}

Fd accept_cloexec(int listener, bool nonblocking) noexcept {
#if IPCBENCH_SYS_ATOMIC_CLOEXEC
  Fd client(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0)));
#else
  Fd client(::accept(listener, nullptr, nullptr));
#endif
  if (client && !finish_socket(client.get(), nonblocking)) {
    const int error = errno;
    client.reset();
    errno = error;
  }
  return client;
}

void set_socket_flag(int fd, int level, int option, std::string_view name) {
  const int on = 1;
  if (::setsockopt(fd, level, option, &on, sizeof on) != 0) throw fmt::system_error(errno, "setsockopt({}) on fd {}", name, fd);
}

void bind_to(int fd, const SocketAddress& address) {
  if (::bind(fd, address.get(), address.length()) != 0) throw fmt::system_error(errno, "bind to {}", address.to_string());
}

Fd listen_tcp(const SocketAddress& address, int backlog) {
  Fd socket = open_socket(address, SOCK_STREAM);
  set_socket_flag(socket.get(), SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR");
  bind_to(socket.get(), address);
  if (::listen(socket.get(), backlog) != 0) throw fmt::system_error(errno, "listen on {}", address.to_string());
  return socket;
}

bool wait_until(int fd, short events, Deadline deadline) {
  for (;;) {
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, milliseconds_until(deadline));
    if (ready > 0) return true;
    if (ready == 0) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      continue;
    }
    if (errno != EINTR) throw fmt::system_error(errno, "poll(fd {})", fd);
  }
}

Fd accept_within(int listener, Deadline deadline, const std::optional<SocketAddress>& only_from) {
  for (;;) {
    if (!wait_until(listener, POLLIN, deadline))
      throw std::runtime_error(fmt::format("no client connected to {} in time", SocketAddress::local_of(listener).to_string()));
    Fd client = accept_cloexec(listener);
    if (!client) {
      // A connection reset while it waited in the queue, or a signal: look for another.
      if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) continue;
      throw fmt::system_error(errno, "accept on {}", SocketAddress::local_of(listener).to_string());
    }
    if (!only_from) return client;
    // A connection reset while it waited (a port scan's) has no peer any more: a stranger too.
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    if (::getpeername(client.get(), reinterpret_cast<sockaddr*>(&peer), &length) == 0 &&
        SocketAddress::from(reinterpret_cast<const sockaddr*>(&peer), length).same_host(*only_from))
      return client;
  }
}

Fd connect_within(const SocketAddress& address, int type, std::chrono::milliseconds timeout) {
  Fd socket = open_socket(address, type);
  set_blocking(socket.get(), false);
  if (::connect(socket.get(), address.get(), address.length()) != 0) {
    if (errno != EINPROGRESS && errno != EINTR) throw fmt::system_error(errno, "connect to {}", address.to_string());
    if (!wait_until(socket.get(), POLLOUT, deadline_in(timeout)))
      throw std::runtime_error(fmt::format("connect to {}: no answer within {} ms", address.to_string(), timeout.count()));
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error != 0) throw fmt::system_error(error, "connect to {}", address.to_string());
  }
  set_blocking(socket.get(), true);
  return socket;
}

}  // namespace ipcbench::sys
