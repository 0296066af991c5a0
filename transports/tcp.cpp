// Set-up of the TCP transports (listen, accept within a deadline, connect) and their error paths.
#include "transports/tcp.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <fmt/format.h>
#include <system_error>

#include "harness/sys/io.hpp"

namespace ipcbench::tcp {
namespace {

// Room for a stray connection (a port scan in host mode) beside the one client.
constexpr int kBacklog = 8;

sys::Fd without_nagle(sys::Fd socket) {
  sys::set_socket_flag(socket.get(), IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
  return socket;
}

}  // namespace

sys::Fd listen_stream(const sys::SocketAddress& address) { return sys::listen_tcp(address, kBacklog); }

sys::Fd accept_stream(int listener, sys::Deadline deadline, const std::optional<sys::SocketAddress>& only_from) {
  return without_nagle(sys::accept_within(listener, deadline, only_from));
}

sys::Fd connect_stream(const sys::SocketAddress& address, std::chrono::milliseconds timeout) {
  return without_nagle(sys::connect_within(address, SOCK_STREAM, timeout));
}

void throw_transfer_error(int error, std::string_view call, int fd) {
  if (error == EPIPE || error == ECONNRESET)
    throw PeerClosed(fmt::format("peer closed fd {} ({}: {})", fd, call, std::system_category().message(error)));
  throw fmt::system_error(error, "{}(fd {})", call, fd);
}

void throw_peer_closed(int fd, std::size_t done_bytes, std::size_t size_bytes) {
  throw PeerClosed(fmt::format("peer closed fd {} after {} of {} bytes", fd, done_bytes, size_bytes));
}

}  // namespace ipcbench::tcp
