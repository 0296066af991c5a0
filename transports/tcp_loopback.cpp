// Setup of the TCP loopback transports (listen, accept within a deadline, connect) and their error paths.
#include "transports/tcp_loopback.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>

#include <chrono>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "harness/sys/io.hpp"

namespace ipcbench::tcp {
namespace {

constexpr std::chrono::milliseconds kSetupTimeout{2000};

sockaddr_in loopback_address(std::uint16_t port) noexcept {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

void set_option(int fd, int level, int name, std::string_view what) {
  const int on = 1;
  if (::setsockopt(fd, level, name, &on, sizeof on) != 0) throw fmt::system_error(errno, "setsockopt({}) on fd {}", what, fd);
}

// Every connected socket, on either side: no Nagle delay, and no SIGPIPE where send() has no
// MSG_NOSIGNAL.
void configure_stream(int fd) {
  set_option(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
  set_option(fd, SOL_SOCKET, SO_NOSIGPIPE, "SO_NOSIGPIPE");
#endif
}

void set_cloexec([[maybe_unused]] int fd) {
#if !defined(SOCK_CLOEXEC)
  if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) throw fmt::system_error(errno, "fcntl(FD_CLOEXEC) on fd {}", fd);
#endif
}

sys::Fd tcp_socket() {
#if defined(SOCK_CLOEXEC)
  sys::Fd socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
#else
  sys::Fd socket(::socket(AF_INET, SOCK_STREAM, 0));
#endif
  if (!socket) throw fmt::system_error(errno, "socket(AF_INET, SOCK_STREAM)");
  set_cloexec(socket.get());
  return socket;
}

int accept_cloexec(int listener) noexcept {
#if defined(SOCK_CLOEXEC) && !defined(__APPLE__)
  return ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
#else
  return ::accept(listener, nullptr, nullptr);
#endif
}

// An interrupted connect() goes on in the background (calling it again only says EALREADY):
// wait for the handshake to finish, then ask the socket how it went.
void finish_interrupted_connect(int fd, std::uint16_t port) {
  pollfd pending{fd, POLLOUT, 0};
  int ready = 0;
  do {
    ready = ::poll(&pending, 1, static_cast<int>(kSetupTimeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) throw fmt::system_error(errno, "poll for connect to 127.0.0.1:{}", port);
  if (ready == 0) throw std::runtime_error(fmt::format("connect to 127.0.0.1:{} did not finish within 2 s", port));
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error != 0) throw fmt::system_error(error, "connect to 127.0.0.1:{}", port);
}

}  // namespace

LoopbackListener::LoopbackListener() : socket_(tcp_socket()) {
  const int fd = socket_.get();
  set_option(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR");
  sockaddr_in address = loopback_address(0);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    throw fmt::system_error(errno, "bind to 127.0.0.1:0");
  if (::listen(fd, 1) != 0) throw fmt::system_error(errno, "listen on 127.0.0.1");
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw fmt::system_error(errno, "getsockname of the listening socket");
  port_ = ntohs(address.sin_port);
}

sys::Fd LoopbackListener::accept_one() {
  if (!socket_) throw std::logic_error("server() called twice: the listening socket is already closed");
  const auto deadline = std::chrono::steady_clock::now() + kSetupTimeout;
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error(fmt::format("no client connected within 2 s (listening on 127.0.0.1:{})", port_));
    pollfd listener{socket_.get(), POLLIN, 0};
    const int ready = ::poll(&listener, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) throw fmt::system_error(errno, "poll on the listening socket 127.0.0.1:{}", port_);
    if (ready <= 0) continue;
    sys::Fd client(accept_cloexec(socket_.get()));
    if (!client) {
      // The BSDs report a connection reset while it waited in the queue; look for another.
      if (errno == EINTR || errno == ECONNABORTED) continue;
      throw fmt::system_error(errno, "accept on 127.0.0.1:{}", port_);
    }
    set_cloexec(client.get());
    configure_stream(client.get());
    socket_.reset();
    return client;
  }
}

sys::Fd connect_loopback(std::uint16_t port) {
  sys::Fd socket = tcp_socket();
  const sockaddr_in address = loopback_address(port);
  if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (errno != EINTR) throw fmt::system_error(errno, "connect to 127.0.0.1:{}", port);
    finish_interrupted_connect(socket.get(), port);
  }
  configure_stream(socket.get());
  return socket;
}

void throw_transfer_error(int error, std::string_view call, int fd) {
  if (error == EPIPE || error == ECONNRESET)
    throw PeerClosed(fmt::format("peer closed fd {} ({}: {})", fd, call, std::system_category().message(error)));
  throw fmt::system_error(error, "{}(fd {})", call, fd);
}

void throw_peer_closed(int fd, std::size_t done_bytes, std::size_t size_bytes) {
  throw PeerClosed(fmt::format("peer closed fd {} after {} of {} bytes", fd, done_bytes, size_bytes));
}

void throw_wait_error(int error, std::string_view call, int fd) { throw fmt::system_error(error, "{} on fd {}", call, fd); }

}  // namespace ipcbench::tcp
