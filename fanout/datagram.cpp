// The datagram fan-outs: socketpairs made before the fork, a multicast group joined on loopback, one datagram per message.
#include "fanout/datagram.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/time.h>

#include <cerrno>
#include <fmt/format.h>
#include <random>
#include <system_error>

#include "harness/sys/io.hpp"
#include "harness/sys/socket.hpp"
#include "harness/sys/socket_address.hpp"

namespace ipcbench {
namespace datagram {

bool receive(int fd, std::span<std::byte> message) {
  for (;;) {
    // MSG_TRUNC: the datagram's own length, even when it is longer than the span it is cut to.
    const ssize_t got = ::recv(fd, message.data(), message.size(), MSG_TRUNC);
    if (got == static_cast<ssize_t>(message.size())) [[likely]] return true;
    if (got >= 0) throw ProtocolError(fmt::format("a datagram of {} B where the messages are {} B", got, message.size()));
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "recv");
  }
}

void set_timeout(int fd, int option, std::chrono::milliseconds timeout) {
  const timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  if (::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv) != 0)
    throw std::system_error(errno, std::generic_category(), "setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)");
}

}  // namespace datagram

UnixDatagram::UnixDatagram(const FanoutSetup& setup) {
  pairs_.reserve(setup.subscribers);
  for (std::size_t i = 0; i < setup.subscribers; ++i) {
    sys::FdPair pair = sys::make_socketpair(SOCK_DGRAM);
    datagram::set_timeout(pair.first.get(), SO_SNDTIMEO, setup.timeout);
    datagram::set_timeout(pair.second.get(), SO_RCVTIMEO, setup.receive_poll);
    pairs_.push_back(std::move(pair));
  }
}

UnixDatagram::Publisher UnixDatagram::publisher() {
  std::vector<sys::Fd> sockets;
  for (sys::FdPair& pair : pairs_) {
    sockets.push_back(std::move(pair.first));
    pair.second.reset();
  }
  return Publisher(std::move(sockets));
}

datagram::Subscriber UnixDatagram::subscriber(std::size_t index) {
  sys::Fd mine = std::move(pairs_.at(index).second);
  pairs_.clear();
  return datagram::Subscriber(std::move(mine));
}

void UnixDatagram::Publisher::publish(std::span<const std::byte> message) {
  for (std::size_t i = 0; i < sockets_.size(); ++i) {
    for (;;) {
      if (::send(sockets_[i].get(), message.data(), message.size(), MSG_NOSIGNAL) >= 0) [[likely]] break;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        throw std::runtime_error(fmt::format("unix-dgram: subscriber {} took no message for the timeout", i + 1));
      if (errno == ECONNREFUSED || errno == EPIPE || errno == ECONNRESET)
        throw PeerClosed(fmt::format("unix-dgram: subscriber {} closed its socket", i + 1));
      throw std::system_error(errno, std::generic_category(), "send");
    }
  }
}

namespace {

void set_option(int fd, int level, int option, const void* value, socklen_t length, std::string_view name) {
  if (::setsockopt(fd, level, option, value, length) != 0)
    throw std::system_error(errno, std::generic_category(), fmt::format("setsockopt({})", name));
}

template <class T>
void set_option(int fd, int level, int option, T value, std::string_view name) {
  set_option(fd, level, option, &value, sizeof value, name);
}

sys::SocketAddress ipv4(in_addr_t host, std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = host;
  address.sin_port = htons(port);
  return sys::SocketAddress::from(reinterpret_cast<const sockaddr*>(&address), sizeof address);
}

// A group in 239.255.0.0/16, the local scope, chosen at random so that runs side by side
// (the tests do that) do not share one; the port the kernel gives the first member keeps them
// apart when two do pick the same group.
in_addr_t private_group() {
  std::random_device random;
  const auto host = 0xEFFF0000u | (random() & 0xFFFFu);
  return htonl(host == 0xEFFF0000u ? host + 1 : host);
}

}  // namespace

UdpMulticast::UdpMulticast(const FanoutSetup& setup) {
  const in_addr_t loopback = htonl(INADDR_LOOPBACK);
  const in_addr_t group = private_group();
  publisher_ = sys::open_socket(sys::SocketAddress::loopback(), SOCK_DGRAM);
  sys::bind_to(publisher_.get(), sys::SocketAddress::loopback());
  const in_addr interface{loopback};
  set_option(publisher_.get(), IPPROTO_IP, IP_MULTICAST_IF, &interface, sizeof interface, "IP_MULTICAST_IF");
  set_option(publisher_.get(), IPPROTO_IP, IP_MULTICAST_TTL, static_cast<unsigned char>(0), "IP_MULTICAST_TTL");
  set_option(publisher_.get(), IPPROTO_IP, IP_MULTICAST_LOOP, static_cast<unsigned char>(1), "IP_MULTICAST_LOOP");
  const sys::SocketAddress publisher_address = sys::SocketAddress::local_of(publisher_.get());

  std::uint16_t port = 0;
  for (std::size_t i = 0; i < setup.subscribers; ++i) {
    sys::Fd socket = sys::open_socket(sys::SocketAddress::loopback(), SOCK_DGRAM);
    set_option(socket.get(), SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
    // Ask for room for a burst; the kernel caps it at net.core.rmem_max (doubled).
    set_option(socket.get(), SOL_SOCKET, SO_RCVBUF, 1 << 20, "SO_RCVBUF");
    sys::bind_to(socket.get(), ipv4(group, port));
    if (port == 0) port = sys::SocketAddress::local_of(socket.get()).port();
    const ip_mreq membership{in_addr{group}, in_addr{loopback}};
    set_option(socket.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &membership, sizeof membership, "IP_ADD_MEMBERSHIP");
    set_option(socket.get(), IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL");
    if (::connect(socket.get(), publisher_address.get(), publisher_address.length()) != 0)
      throw std::system_error(errno, std::generic_category(), "connect to the publisher");
    datagram::set_timeout(socket.get(), SO_RCVTIMEO, setup.receive_poll);
    subscribers_.push_back(std::move(socket));
  }
  const sys::SocketAddress group_address = ipv4(group, port);
  if (::connect(publisher_.get(), group_address.get(), group_address.length()) != 0)
    throw std::system_error(errno, std::generic_category(), fmt::format("connect to {}", group_address.to_string()));
}

UdpMulticast::Publisher UdpMulticast::publisher() {
  subscribers_.clear();
  return Publisher(std::move(publisher_));
}

datagram::Subscriber UdpMulticast::subscriber(std::size_t index) {
  sys::Fd mine = std::move(subscribers_.at(index));
  subscribers_.clear();
  publisher_.reset();
  return datagram::Subscriber(std::move(mine));
}

void UdpMulticast::Publisher::publish(std::span<const std::byte> message) {
  for (;;) {
    if (::send(socket_.get(), message.data(), message.size(), 0) >= 0) [[likely]] return;
    // A member's full queue is its loss, not the sender's error; ENOBUFS is the sender's own
    // buffer, which a later datagram finds free again: the message is lost to every member.
    if (errno == ENOBUFS) return;
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "send to the multicast group");
  }
}

}  // namespace ipcbench
