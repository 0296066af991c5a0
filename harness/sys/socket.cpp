// Socket set-up and its error messages: each names the call and the address.
#include "harness/sys/socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <fmt/format.h>
#include <stdexcept>

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

}  // namespace

Fd open_socket(const SocketAddress& address, int type) {
  Fd socket(::socket(address.family(), type | SOCK_CLOEXEC, 0));
  if (!socket) throw fmt::system_error(errno, "socket() for {}", address.to_string());
  return socket;
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
    Fd client(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
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
