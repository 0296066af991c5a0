// UDP socket set-up and the cold paths of the udp transports: everything that formats an error.
#include "transports/udp.hpp"

#include <poll.h>
#include <sys/time.h>

#include <fmt/format.h>

#include "harness/sys/io.hpp"

namespace ipcbench::udp {
namespace {

constexpr int kSocketBufferBytes = 4 * 65536;

void size_buffer(int fd, int option, const char* name) {
  const int wanted = kSocketBufferBytes;
  if (::setsockopt(fd, SOL_SOCKET, option, &wanted, sizeof wanted) != 0)
    throw fmt::system_error(errno, "setsockopt({}) on UDP socket {}", name, fd);
  int actual = 0;
  socklen_t length = sizeof actual;
  if (::getsockopt(fd, SOL_SOCKET, option, &actual, &length) != 0)
    throw fmt::system_error(errno, "getsockopt({}) on UDP socket {}", name, fd);
  if (static_cast<std::size_t>(actual) < kMaxPayloadBytes)
    throw std::runtime_error(fmt::format("UDP socket {} has a {}-byte {}, less than one {}-byte datagram "
                                         "(raise net.core.rmem_max / wmem_max)",
                                         fd, actual, name, kMaxPayloadBytes));
}

sys::Fd sized_socket(const sys::SocketAddress& address) {
  sys::Fd socket = sys::open_socket(address, SOCK_DGRAM);
  size_buffer(socket.get(), SO_RCVBUF, "SO_RCVBUF");
  size_buffer(socket.get(), SO_SNDBUF, "SO_SNDBUF");
  return socket;
}

void connect_to(int fd, const sys::SocketAddress& peer) {
  if (::connect(fd, peer.get(), peer.length()) != 0) throw fmt::system_error(errno, "connect UDP socket to {}", peer.to_string());
}

}  // namespace

sys::Fd bound_socket(const sys::SocketAddress& address) {
  sys::Fd socket = sized_socket(address);
  sys::bind_to(socket.get(), address);
  return socket;
}

sys::Fd connected_socket(const sys::SocketAddress& address) {
  sys::Fd socket = sized_socket(address);
  connect_to(socket.get(), address);
  return socket;
}

void connect_to_first_sender(int fd, sys::Deadline deadline, const std::optional<sys::SocketAddress>& only_from) {
  for (;;) {
    if (!sys::wait_until(fd, POLLIN, deadline))
      throw std::runtime_error(fmt::format("no datagram reached {} in time", sys::SocketAddress::local_of(fd).to_string()));
    sockaddr_storage sender{};
    socklen_t length = sizeof sender;
    std::byte first;
    const ssize_t n = ::recvfrom(fd, &first, 1, MSG_PEEK | MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&sender), &length);
    if (n < 0) {
      if (again(errno) || errno == ECONNREFUSED) continue;
      throw fmt::system_error(errno, "recvfrom on UDP socket {}", fd);
    }
    const sys::SocketAddress from = sys::SocketAddress::from(reinterpret_cast<const sockaddr*>(&sender), length);
    if (!only_from || from.same_host(*only_from)) {
      connect_to(fd, from);
      return;
    }
    [[maybe_unused]] const ssize_t dropped = ::recv(fd, &first, 1, MSG_DONTWAIT);
  }
}

void set_receive_timeout(int fd, std::chrono::milliseconds timeout) {
  timeval value{};
  value.tv_sec = static_cast<decltype(value.tv_sec)>(timeout.count() / 1000);
  value.tv_usec = static_cast<decltype(value.tv_usec)>(timeout.count() % 1000 * 1000);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof value) != 0)
    throw fmt::system_error(errno, "setsockopt(SO_RCVTIMEO) on UDP socket {}", fd);
}

void on_send_failure(int fd, ssize_t sent, std::size_t bytes, int error) {
  if (sent >= 0) throw ProtocolError(fmt::format("send on UDP socket {} took {} of a {}-byte datagram", fd, sent, bytes));
  if (error == EINTR) return;
  if (error == EAGAIN || error == EWOULDBLOCK) {
    // Only a non-blocking socket with a full send buffer gets here.
    pollfd writable{fd, POLLOUT, 0};
    if (::poll(&writable, 1, -1) < 0 && errno != EINTR) throw fmt::system_error(errno, "poll(POLLOUT) on UDP socket {}", fd);
    return;
  }
  if (error == ECONNREFUSED) throw PeerClosed(fmt::format("the UDP peer's port is closed (send on socket {})", fd));
  throw fmt::system_error(error, "send {} bytes on UDP socket {}", bytes, fd);
}

void throw_receive_error(int fd, ssize_t received, std::size_t expected_bytes, int error) {
  if (received == 0) throw PeerClosed(fmt::format("the UDP peer closed its socket (socket {})", fd));
  if (received > 0 && !kTruncatedLengthKnown && static_cast<std::size_t>(received) > expected_bytes)
    throw ProtocolError(fmt::format("a UDP datagram of more than {} bytes on socket {} where {} bytes were expected (truncated)",
                                    expected_bytes, fd, expected_bytes));
  if (received > 0)
    throw ProtocolError(fmt::format("a {}-byte UDP datagram on socket {} where {} bytes were expected{}", received, fd,
                                    expected_bytes,
                                    static_cast<std::size_t>(received) > expected_bytes ? " (truncated)" : ""));
  if (error == ECONNREFUSED) throw PeerClosed(fmt::format("the UDP peer's port is closed (recv on socket {})", fd));
  throw fmt::system_error(error, "recv on UDP socket {}", fd);
}

}  // namespace ipcbench::udp
