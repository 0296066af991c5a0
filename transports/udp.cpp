// UDP socket setup and the cold paths of the udp transports: everything that formats an error.
#include "transports/udp.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/time.h>

#include <fmt/format.h>

#include <stdexcept>

namespace ipcbench::udp_detail {
namespace {

// Room for a few maximum-size datagrams: a resent request and a late reply may queue up.
constexpr int kSocketBufferBytes = 4 * 65536;

sys::Fd open_socket() {
#if defined(SOCK_CLOEXEC)
  sys::Fd socket(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!socket) throw fmt::system_error(errno, "socket(AF_INET, SOCK_DGRAM)");
#else
  sys::Fd socket(::socket(AF_INET, SOCK_DGRAM, 0));
  if (!socket) throw fmt::system_error(errno, "socket(AF_INET, SOCK_DGRAM)");
  if (::fcntl(socket.get(), F_SETFD, FD_CLOEXEC) != 0) throw fmt::system_error(errno, "fcntl(FD_CLOEXEC) on a UDP socket");
#endif
  return socket;
}

void size_buffer(int fd, int option, const char* name) {
  const int wanted = kSocketBufferBytes;
  if (::setsockopt(fd, SOL_SOCKET, option, &wanted, sizeof wanted) != 0)
    throw fmt::system_error(errno, "setsockopt({}) on UDP socket {}", name, fd);
  int actual = 0;
  socklen_t length = sizeof actual;
  if (::getsockopt(fd, SOL_SOCKET, option, &actual, &length) != 0)
    throw fmt::system_error(errno, "getsockopt({}) on UDP socket {}", name, fd);
  if (static_cast<std::size_t>(actual) < kUdpMaxPayloadBytes)
    throw std::runtime_error(fmt::format("UDP socket {} has a {}-byte {}, less than one {}-byte datagram "
                                         "(raise net.core.rmem_max / wmem_max)",
                                         fd, actual, name, kUdpMaxPayloadBytes));
}

sys::Fd bound_socket() {
  sys::Fd socket = open_socket();
  size_buffer(socket.get(), SO_RCVBUF, "SO_RCVBUF");
  size_buffer(socket.get(), SO_SNDBUF, "SO_SNDBUF");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;  // any free port
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    throw fmt::system_error(errno, "bind UDP socket to 127.0.0.1");
  return socket;
}

sockaddr_in local_address(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw fmt::system_error(errno, "getsockname on UDP socket {}", fd);
  return address;
}

void connect_to(int fd, const sockaddr_in& peer) {
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&peer), sizeof peer) != 0)
    throw fmt::system_error(errno, "connect UDP socket to 127.0.0.1:{}", ntohs(peer.sin_port));
}

}  // namespace

SocketPair make_loopback_pair() {
  SocketPair pair{bound_socket(), bound_socket()};
  connect_to(pair.client.get(), local_address(pair.server.get()));
  connect_to(pair.server.get(), local_address(pair.client.get()));
  return pair;
}

void set_receive_timeout(int fd, std::chrono::milliseconds timeout) {
  timeval value{};
  value.tv_sec = static_cast<decltype(value.tv_sec)>(timeout.count() / 1000);
  value.tv_usec = static_cast<decltype(value.tv_usec)>(timeout.count() % 1000 * 1000);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof value) != 0)
    throw fmt::system_error(errno, "setsockopt(SO_RCVTIMEO) on UDP socket {}", fd);
}

void on_send_failure(int fd, ssize_t sent, std::size_t bytes, int error) {
  if (sent >= 0)
    throw ProtocolError(fmt::format("send on UDP socket {} took {} of a {}-byte datagram", fd, sent, bytes));
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
  if (received > 0)
    throw ProtocolError(fmt::format("a {}-byte UDP datagram on socket {} where {} bytes were expected{}", received, fd,
                                    expected_bytes,
                                    static_cast<std::size_t>(received) > expected_bytes ? " (truncated)" : ""));
  if (error == ECONNREFUSED) throw PeerClosed(fmt::format("the UDP peer's port is closed (recv on socket {})", fd));
  throw fmt::system_error(error, "recv on UDP socket {}", fd);
}

void throw_no_reply(int waits) {
  throw PeerClosed(fmt::format("no reply from the UDP peer after {} sends, {} ms apart", waits,
                               kUdpReplyTimeout.count()));
}

void throw_cannot_resend() {
  throw ProtocolError("a stale UDP reply overwrote the request before it had to be resent");
}

void throw_wait_error(std::string_view call, int fd, int error) { throw fmt::system_error(error, "{}({})", call, fd); }

}  // namespace ipcbench::udp_detail

namespace ipcbench {

#if defined(IPCBENCH_HAVE_UDP_EPOLL)
UdpEpollWait::UdpEpollWait(int fd, std::optional<std::chrono::milliseconds> timeout)
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)), timeout_ms_(timeout ? static_cast<int>(timeout->count()) : -1) {
  if (!epoll_) throw fmt::system_error(errno, "epoll_create1");
  sys::set_nonblocking(fd);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0)
    throw fmt::system_error(errno, "epoll_ctl(ADD) of UDP socket {}", fd);
}
#endif

#if defined(IPCBENCH_HAVE_UDP_KQUEUE)
UdpKqueueWait::UdpKqueueWait(int fd, std::optional<std::chrono::milliseconds> timeout) : queue_(::kqueue()) {
  if (!queue_) throw fmt::system_error(errno, "kqueue");
  if (::fcntl(queue_.get(), F_SETFD, FD_CLOEXEC) != 0) throw fmt::system_error(errno, "fcntl(FD_CLOEXEC) on the kqueue");
  if (timeout) {
    forever_ = false;
    timeout_.tv_sec = static_cast<time_t>(timeout->count() / 1000);
    timeout_.tv_nsec = static_cast<long>(timeout->count() % 1000 * 1000000);
  }
  sys::set_nonblocking(fd);
  struct kevent change;
  EV_SET(&change, fd, EVFILT_READ, EV_ADD, 0, 0, nullptr);
  if (::kevent(queue_.get(), &change, 1, nullptr, 0, nullptr) != 0)
    throw fmt::system_error(errno, "kevent(EV_ADD) of UDP socket {}", fd);
}
#endif

}  // namespace ipcbench
