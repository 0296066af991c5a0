// unix-dgram and udp-multicast: the two fan-outs whose every message is one datagram a subscriber reads whole.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "fanout/channel.hpp"
#include "harness/sys/fd.hpp"

namespace ipcbench {
namespace datagram {

// One receive with the socket's SO_RCVTIMEO: true with a datagram of the span's size, false
// when none came in time; ProtocolError for a datagram of any other size.
bool receive(int fd, std::span<std::byte> message);
void set_timeout(int fd, int option, std::chrono::milliseconds timeout);

// A subscriber's socket, as its subscriber process keeps it.
class Subscriber {
 public:
  explicit Subscriber(sys::Fd socket) noexcept : socket_(std::move(socket)) {}
  bool receive(std::span<std::byte> message) { return datagram::receive(socket_.get(), message); }

 private:
  sys::Fd socket_;
};

}  // namespace datagram

// A SOCK_DGRAM socketpair per subscriber: the publisher sends each message once per
// subscriber, so the last one gets it N sends after the first. A full queue blocks the
// publisher (nothing is lost on a Unix socket) up to the timeout.
class UnixDatagram {
 public:
  static constexpr FanoutInfo kInfo{
      .name = "unix-dgram",
      .mechanism = "a Unix datagram socketpair per subscriber; the publisher sends to each in turn",
      .max_payload_bytes = std::size_t{64} << 10,
  };

  explicit UnixDatagram(const FanoutSetup& setup);

  class Publisher {
   public:
    explicit Publisher(std::vector<sys::Fd> sockets) noexcept : sockets_(std::move(sockets)) {}
    void publish(std::span<const std::byte> message);

   private:
    std::vector<sys::Fd> sockets_;
  };

  [[nodiscard]] Publisher publisher();
  [[nodiscard]] datagram::Subscriber subscriber(std::size_t index);

 private:
  std::vector<sys::FdPair> pairs_;  // first: the publisher's end, second: the subscriber's
};

// One UDP socket sends to a multicast group on the loopback interface with TTL 0 (no
// datagram can leave the host); each subscriber's socket is bound to the group and port and
// connected to the publisher's address, so that it takes no datagram from anyone else. The
// kernel copies each datagram into every member's queue; one whose queue is full loses it.
class UdpMulticast {
 public:
  static constexpr FanoutInfo kInfo{
      .name = "udp-multicast",
      .mechanism = "UDP multicast to a private group on loopback (TTL 0), a socket per subscriber",
      .max_payload_bytes = 65507,
      .may_lose = true,
  };

  explicit UdpMulticast(const FanoutSetup& setup);

  class Publisher {
   public:
    explicit Publisher(sys::Fd socket) noexcept : socket_(std::move(socket)) {}
    void publish(std::span<const std::byte> message);

   private:
    sys::Fd socket_;
  };

  [[nodiscard]] Publisher publisher();
  [[nodiscard]] datagram::Subscriber subscriber(std::size_t index);

 private:
  sys::Fd publisher_;
  std::vector<sys::Fd> subscribers_;
};

}  // namespace ipcbench
