// udp (udp-epoll and udp-kqueue in their own headers): one datagram per message, one endpoint template over a readiness policy.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <utility>

#include "harness/sys/announcing_fd.hpp"
#include "harness/sys/fd.hpp"
#include "harness/sys/socket.hpp"
#include "harness/transport.hpp"
#include "transports/readiness.hpp"

namespace ipcbench {
namespace udp {

// 65535 less the IPv4 (20 bytes) and UDP (8 bytes) headers.
inline constexpr std::size_t kMaxPayloadBytes = 65507;

// A message is at least one byte, so an empty datagram can tell the peer that this side
// closed its socket; a peer blocked in recv() learns of it at once.
struct SendEmptyDatagram {
  static void announce(int fd) noexcept {
    [[maybe_unused]] const ssize_t sent = ::send(fd, "", 0, MSG_DONTWAIT);
  }
};
using Socket = sys::AnnouncingFd<SendEmptyDatagram>;

// A UDP socket with buffers that hold a few maximum-size datagrams (a resent request and a
// late reply may queue up), bound to `address` or connected to it.
[[nodiscard]] sys::Fd bound_socket(const sys::SocketAddress& address);
[[nodiscard]] sys::Fd connected_socket(const sys::SocketAddress& address);
// Waits for the first datagram from `only_from`'s host (others are dropped) and connects
// the socket to its sender, which a datagram socket's accept amounts to. The datagram stays
// queued for the first receive().
void connect_to_first_sender(int fd, sys::Deadline deadline, const std::optional<sys::SocketAddress>& only_from);
void set_receive_timeout(int fd, std::chrono::milliseconds timeout);

// The datagram's full length, also when it did not fit (then more than buffer.size());
// -1 and errno on failure. Only Linux's recv() takes MSG_TRUNC as a request for the full
// length; elsewhere recvmsg() reports a truncation in msg_flags, and the length returned is
// then buffer.size() + 1 (kTruncatedLengthKnown says which).
#if defined(__linux__)
inline constexpr bool kTruncatedLengthKnown = true;
inline ssize_t receive_datagram(int fd, std::span<std::byte> buffer) noexcept {
  return ::recv(fd, buffer.data(), buffer.size(), MSG_TRUNC);
}
#else
inline constexpr bool kTruncatedLengthKnown = false;
inline ssize_t receive_datagram(int fd, std::span<std::byte> buffer) noexcept {
  iovec part{buffer.data(), buffer.size()};
  msghdr message{};
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  const ssize_t received = ::recvmsg(fd, &message, 0);
  if (received >= 0 && (message.msg_flags & MSG_TRUNC) != 0) [[unlikely]] return static_cast<ssize_t>(buffer.size()) + 1;
  return received;
}
#endif

// After a send() that did not take the whole datagram: returns when the caller should try
// again (EINTR, or EAGAIN once the socket is writable), throws otherwise.
void on_send_failure(int fd, ssize_t sent, std::size_t bytes, int error);

inline void send_datagram(int fd, std::span<const std::byte> message) {
  for (;;) {
    const ssize_t sent = ::send(fd, message.data(), message.size(), 0);
    if (sent == static_cast<ssize_t>(message.size())) [[likely]] return;
    on_send_failure(fd, sent, message.size(), errno);
  }
}

// A receive that brought neither a datagram of the expected size, nor EINTR, nor a timeout.
[[noreturn]] void throw_receive_error(int fd, ssize_t received, std::size_t expected_bytes, int error);

inline bool again(int error) noexcept { return error == EAGAIN || error == EWOULDBLOCK || error == EINTR; }

}  // namespace udp

// UDP: one datagram per message (max 65507 bytes), the readiness policy decides what
// blocks (recv() itself, or epoll_wait() or kevent()). The client's receive gives up after
// kReplyTimeout, so that the harness can resend a lost request.
template <Readiness Ready>
struct UdpTransport {
  class Client {
   public:
    static constexpr std::chrono::milliseconds kReplyTimeout{200};

    explicit Client(sys::Fd socket) : socket_(prepare(std::move(socket))), ready_(socket_.get()) {}
    void send(std::span<const std::byte> message) { udp::send_datagram(socket_.get(), message); }
    // False when no datagram came within kReplyTimeout.
    bool try_receive(std::span<std::byte> message) {
      for (;;) {
        if (!ready_.wait(Interest::read, static_cast<int>(kReplyTimeout.count()))) return false;
        const ssize_t received = udp::receive_datagram(socket_.get(), message);
        if (received == static_cast<ssize_t>(message.size())) [[likely]] return true;
        const int error = errno;
        if (received < 0 && udp::again(error)) {
          // A blocking socket's SO_RCVTIMEO passed; a non-blocking one woke for nothing.
          if (!Ready::kNonblocking && error != EINTR) return false;
          continue;
        }
        udp::throw_receive_error(socket_.get(), received, message.size(), error);
      }
    }

   private:
    static sys::Fd prepare(sys::Fd socket) {
      if constexpr (Ready::kNonblocking) sys::set_nonblocking(socket.get());
      else udp::set_receive_timeout(socket.get(), kReplyTimeout);
      return socket;
    }
    udp::Socket socket_;
    Ready ready_;
  };

  // A resent request arrives twice when only its reply was late: both copies are answered,
  // and the client drops the stale reply.
  class Server {
   public:
    explicit Server(sys::Fd socket) : socket_(prepare(std::move(socket))), ready_(socket_.get()) {}
    void receive(std::span<std::byte> message) {
      for (;;) {
        ready_.wait(Interest::read, -1);
        const ssize_t received = udp::receive_datagram(socket_.get(), message);
        if (received == static_cast<ssize_t>(message.size())) [[likely]] return;
        if (received < 0 && udp::again(errno)) continue;
        udp::throw_receive_error(socket_.get(), received, message.size(), errno);
      }
    }
    void send(std::span<const std::byte> message) { udp::send_datagram(socket_.get(), message); }

   private:
    static sys::Fd prepare(sys::Fd socket) {
      if constexpr (Ready::kNonblocking) sys::set_nonblocking(socket.get());
      return socket;
    }
    udp::Socket socket_;
    Ready ready_;
  };

  class Listener {
   public:
    Listener(const sys::SocketAddress& address, const TransportSetup& /*setup*/)
        : socket_(udp::bound_socket(address)), address_(sys::SocketAddress::local_of(socket_.get())) {}
    [[nodiscard]] const sys::SocketAddress& address() const noexcept { return address_; }
    [[nodiscard]] Server accept(sys::Deadline deadline, const std::optional<sys::SocketAddress>& only_from) {
      if (!socket_) throw std::logic_error("accept() called twice on a UDP listener: its socket is the server's now");
      udp::connect_to_first_sender(socket_.get(), deadline, only_from);
      return Server(std::move(socket_));
    }

   private:
    sys::Fd socket_;
    sys::SocketAddress address_;
  };

  [[nodiscard]] static Client connect(const sys::SocketAddress& address, const TransportSetup& /*setup*/,
                                      std::chrono::milliseconds /*timeout*/) {
    return Client(udp::connected_socket(address));
  }
};

// udp: blocking recv(); the client's socket carries SO_RCVTIMEO.
struct Udp : UdpTransport<InCall> {
  static constexpr TransportInfo kInfo{
      .name = "udp", .mechanism = "UDP, blocking recv() with a reply timeout", .max_payload_bytes = udp::kMaxPayloadBytes};
  // Non-blocking sockets; the server tries recv() again at once, the client polls with a zero
  // timeout so that it can still give up on a lost reply (--wait busy-poll).
  struct BusyPolled : UdpTransport<BusyPoll> {
    static constexpr TransportInfo kInfo =
        busy_polled(Udp::kInfo, "UDP, non-blocking sockets, recv() (client: poll()) tried again at once");
  };
};

}  // namespace ipcbench
