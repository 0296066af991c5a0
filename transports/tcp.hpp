// tcp, select and poll (epoll and kqueue in their own headers): one TCP stream endpoint over a readiness policy, and the listen/accept/connect they share with libevent.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "harness/sys/fd.hpp"
#include "harness/sys/socket.hpp"
#include "harness/transport.hpp"
#include "transports/readiness.hpp"

namespace ipcbench {
namespace tcp {

// A stream has no message limit; this is the largest size the transports are tested at.
inline constexpr std::size_t kMaxPayloadBytes = std::size_t{1} << 20;

// Accepted and connected sockets alike carry TCP_NODELAY: a request must not wait for Nagle.
[[nodiscard]] sys::Fd accept_stream(int listener, sys::Deadline deadline, const std::optional<sys::SocketAddress>& only_from);
[[nodiscard]] sys::Fd connect_stream(const sys::SocketAddress& address, std::chrono::milliseconds timeout);
[[nodiscard]] sys::Fd listen_stream(const sys::SocketAddress& address);

// Cold paths of the transfer loops, out of line so that the loops format nothing.
[[noreturn]] void throw_transfer_error(int error, std::string_view call, int fd);  // PeerClosed for EPIPE/ECONNRESET
[[noreturn]] void throw_peer_closed(int fd, std::size_t done_bytes, std::size_t size_bytes);

inline bool would_block(int error) noexcept { return error == EAGAIN || error == EWOULDBLOCK; }

}  // namespace tcp

// One connected socket. receive() waits first and then reads, the way an event loop serves
// a connection; send() writes first and waits only when the socket buffer is full.
template <Readiness Ready>
class StreamSocket {
 public:
  explicit StreamSocket(sys::Fd socket) : socket_(std::move(socket)), ready_(prepare(socket_.get())) {}

  void send(std::span<const std::byte> message) {
    const int fd = socket_.get();
    std::size_t done = 0;
    while (done < message.size()) {
      const ssize_t n = ::send(fd, message.data() + done, message.size() - done, sys::kNoSigpipe);
      if (n >= 0) [[likely]] {
        done += static_cast<std::size_t>(n);
        continue;
      }
      const int error = errno;
      if (tcp::would_block(error)) {
        ready_.wait(Interest::write, -1);
      } else if (error != EINTR) [[unlikely]] {
        tcp::throw_transfer_error(error, "send", fd);
      }
    }
  }

  void receive(std::span<std::byte> message) {
    const int fd = socket_.get();
    std::size_t done = 0;
    while (done < message.size()) {
      ready_.wait(Interest::read, -1);
      const ssize_t n = ::recv(fd, message.data() + done, message.size() - done, 0);
      if (n > 0) [[likely]] {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (n == 0) [[unlikely]] tcp::throw_peer_closed(fd, done, message.size());
      const int error = errno;
      if (!tcp::would_block(error) && error != EINTR) [[unlikely]] tcp::throw_transfer_error(error, "recv", fd);
    }
  }

 private:
  static int prepare(int fd) {
    if constexpr (Ready::kNonblocking) sys::set_nonblocking(fd);
    return fd;
  }

  sys::Fd socket_;
  Ready ready_;  // declared after socket_: built from it, destroyed before it
};

// The socket shape over TCP, for any endpoint made from a connected socket.
template <class Stream>
struct TcpTransport {
  class Listener {
   public:
    Listener(const sys::SocketAddress& address, const TransportSetup& /*setup*/)
        : socket_(tcp::listen_stream(address)), address_(sys::SocketAddress::local_of(socket_.get())) {}
    [[nodiscard]] const sys::SocketAddress& address() const noexcept { return address_; }
    [[nodiscard]] Stream accept(sys::Deadline deadline, const std::optional<sys::SocketAddress>& only_from) {
      return Stream(tcp::accept_stream(socket_.get(), deadline, only_from));
    }

   private:
    sys::Fd socket_;
    sys::SocketAddress address_;
  };

  [[nodiscard]] static Stream connect(const sys::SocketAddress& address, const TransportSetup& /*setup*/,
                                      std::chrono::milliseconds timeout) {
    return Stream(tcp::connect_stream(address, timeout));
  }
};

// Blocking TCP_NODELAY sockets: recv() blocks in the kernel until bytes arrive, send() until
// the socket buffer has room. The baseline the waiting transports add their wait to.
struct Tcp : TcpTransport<StreamSocket<InCall>> {
  static constexpr TransportInfo kInfo{
      .name = "tcp", .mechanism = "TCP, blocking sockets, TCP_NODELAY", .max_payload_bytes = tcp::kMaxPayloadBytes};
  // Non-blocking sockets, a recv() or send() that would block tried again at once (--wait busy-poll).
  struct BusyPolled : TcpTransport<StreamSocket<BusyPoll>> {
    static constexpr TransportInfo kInfo =
        busy_polled(Tcp::kInfo, "TCP, non-blocking sockets, TCP_NODELAY, recv()/send() tried again at once");
  };
};

// Non-blocking TCP_NODELAY sockets; receive() blocks in select() on its one socket before
// each read, send() only when the socket buffer is full. The descriptor must be below
// FD_SETSIZE (1024).
struct Select : TcpTransport<StreamSocket<SelectReadiness>> {
  static constexpr TransportInfo kInfo{.name = "select",
                                       .mechanism = "TCP, non-blocking sockets, both sides wait in select()",
                                       .max_payload_bytes = tcp::kMaxPayloadBytes};
};

// As select, waiting in poll().
struct Poll : TcpTransport<StreamSocket<PollReadiness>> {
  static constexpr TransportInfo kInfo{.name = "poll",
                                       .mechanism = "TCP, non-blocking sockets, both sides wait in poll()",
                                       .max_payload_bytes = tcp::kMaxPayloadBytes};
};

}  // namespace ipcbench
