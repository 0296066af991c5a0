// TCP over 127.0.0.1 shared by tcp, select, poll, epoll, kqueue and libevent: setup, and one stream template over a wait policy.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "harness/sys/fd.hpp"
#include "harness/transport.hpp"

namespace ipcbench {
namespace tcp {

// A stream has no message limit; this is the largest size the transports are tested at.
inline constexpr std::size_t kMaxPayloadBytes = std::size_t{1} << 20;

#if defined(MSG_NOSIGNAL)
inline constexpr int kSendFlags = MSG_NOSIGNAL;
#else
inline constexpr int kSendFlags = 0;  // macOS: the socket carries SO_NOSIGPIPE instead
#endif

// A listening socket on 127.0.0.1, port chosen by the kernel, made before any thread or fork.
class LoopbackListener {
 public:
  LoopbackListener();
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  // Waits up to 2 s for one client, sets TCP_NODELAY on it and closes the listening socket.
  [[nodiscard]] sys::Fd accept_one();

 private:
  sys::Fd socket_;
  std::uint16_t port_ = 0;
};

// A blocking TCP_NODELAY socket connected to 127.0.0.1:port.
[[nodiscard]] sys::Fd connect_loopback(std::uint16_t port);

// Cold paths of the transfer loops, out of line so that the loops format nothing.
[[noreturn]] void throw_transfer_error(int error, std::string_view call, int fd);  // PeerClosed for EPIPE/ECONNRESET
[[noreturn]] void throw_peer_closed(int fd, std::size_t done_bytes, std::size_t size_bytes);
[[noreturn]] void throw_wait_error(int error, std::string_view call, int fd);

inline bool would_block(int error) noexcept { return error == EAGAIN || error == EWOULDBLOCK; }

}  // namespace tcp

// A wait policy says whether its socket is non-blocking and blocks the caller until the
// socket is readable or writable (or has an error or EOF, which the next transfer reports).
// It may return early (EINTR, a spurious wakeup): the transfer loop just tries again.
template <class W>
concept TcpWait = std::movable<W> && std::constructible_from<W, int> && requires(W& wait) {
  { W::kName } -> std::convertible_to<std::string_view>;
  { W::kMechanism } -> std::convertible_to<std::string_view>;
  { W::kNonblocking } -> std::convertible_to<bool>;
  wait.readable();
  wait.writable();
};

// One connected socket. receive() waits first and then reads, the way an event loop serves
// a connection; send() writes first and waits only when the socket buffer is full.
template <TcpWait Wait>
class TcpStream {
 public:
  explicit TcpStream(sys::Fd socket) : socket_(std::move(socket)), wait_(prepare(socket_.get())) {}

  void send(std::span<const std::byte> message) {
    const int fd = socket_.get();
    std::size_t done = 0;
    while (done < message.size()) {
      const ssize_t n = ::send(fd, message.data() + done, message.size() - done, tcp::kSendFlags);
      if (n >= 0) [[likely]] {
        done += static_cast<std::size_t>(n);
        continue;
      }
      const int error = errno;
      if (tcp::would_block(error)) {
        wait_.writable();
      } else if (error != EINTR) [[unlikely]] {
        tcp::throw_transfer_error(error, "send", fd);
      }
    }
  }

  void receive(std::span<std::byte> message) {
    const int fd = socket_.get();
    std::size_t done = 0;
    while (done < message.size()) {
      wait_.readable();
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
    if constexpr (Wait::kNonblocking) sys::set_nonblocking(fd);
    return fd;
  }

  sys::Fd socket_;
  Wait wait_;  // declared after socket_: built from it, destroyed before it
};

// The transport: the constructor listens on 127.0.0.1:0; server() accepts one client within
// 2 s, client() connects. Each touches only its own member, so the two may run at once.
template <TcpWait Wait>
class TcpLoopback {
 public:
  static constexpr TransportInfo kInfo{
      .name = Wait::kName,
      .mechanism = Wait::kMechanism,
      .thread_mode = true,
      .process_mode = true,
      .max_payload_bytes = tcp::kMaxPayloadBytes,
      .wait = WaitKind::block,
  };

  explicit TcpLoopback(const TransportSetup& /*setup*/) {}
  [[nodiscard]] TcpStream<Wait> client() { return TcpStream<Wait>(tcp::connect_loopback(port_)); }
  [[nodiscard]] TcpStream<Wait> server() { return TcpStream<Wait>(listener_.accept_one()); }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

 private:
  tcp::LoopbackListener listener_;
  std::uint16_t port_ = listener_.port();
};

}  // namespace ipcbench
