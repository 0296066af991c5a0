// udp and udp-epoll (udp-kqueue on macOS/BSD): datagrams over loopback, one transport template over how a side waits.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "harness/message.hpp"
#include "harness/sys/fd.hpp"
#include "harness/sys/io.hpp"
#include "harness/transport.hpp"

// Which twin of udp-epoll this platform builds; all.hpp reads these.
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || defined(__DragonFly__)
#define IPCBENCH_HAVE_UDP_KQUEUE 1
#include <sys/event.h>
#include <time.h>
#elif defined(__linux__)
#define IPCBENCH_HAVE_UDP_EPOLL 1
#include <sys/epoll.h>
#endif

namespace ipcbench {

// 65535 less the IPv4 (20 bytes) and UDP (8 bytes) headers.
inline constexpr std::size_t kUdpMaxPayloadBytes = 65507;
// How long the client waits for a reply before it takes the request as lost and resends it.
inline constexpr std::chrono::milliseconds kUdpReplyTimeout{200};
// Waits in a row without a reply after which the peer is taken as gone: 10 x 200 ms = 2 s.
inline constexpr int kUdpMaxWaits = 10;

namespace udp_detail {

struct SocketPair {
  sys::Fd client;
  sys::Fd server;
};

// Two UDP sockets bound to 127.0.0.1 on ephemeral ports, each connect()ed to the other, with
// buffers that hold a few maximum-size datagrams.
SocketPair make_loopback_pair();
void set_receive_timeout(int fd, std::chrono::milliseconds timeout);

// The datagram's full length, also when it did not fit (then more than buffer.size());
// -1 and errno on failure.
inline ssize_t receive_datagram(int fd, std::span<std::byte> buffer, int flags) noexcept {
#if defined(__linux__)
  return ::recv(fd, buffer.data(), buffer.size(), flags | MSG_TRUNC);
#else
  iovec io{buffer.data(), buffer.size()};
  msghdr header{};
  header.msg_iov = &io;
  header.msg_iovlen = 1;
  const ssize_t received = ::recvmsg(fd, &header, flags);
  if (received >= 0 && (header.msg_flags & MSG_TRUNC) != 0) return static_cast<ssize_t>(buffer.size()) + 1;
  return received;
#endif
}

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
[[noreturn]] void throw_no_reply(int waits);
[[noreturn]] void throw_cannot_resend();
[[noreturn]] void throw_wait_error(std::string_view call, int fd, int error);

inline bool overlaps(std::span<const std::byte> a, std::span<const std::byte> b) noexcept {
  const auto a_begin = reinterpret_cast<std::uintptr_t>(a.data());
  const auto b_begin = reinterpret_cast<std::uintptr_t>(b.data());
  return a_begin < b_begin + b.size() && b_begin < a_begin + a.size();
}

// The one owner of a connected UDP socket. Closing it sends the peer an empty datagram (a
// message is at least 1 byte), so that a peer blocked in recv() learns of it at once.
class Socket {
 public:
  explicit Socket(sys::Fd fd) noexcept : fd_(std::move(fd)) {}
  Socket(Socket&&) noexcept = default;
  Socket& operator=(Socket&& other) noexcept {
    if (this != &other) {
      announce_close();
      fd_ = std::move(other.fd_);
    }
    return *this;
  }
  ~Socket() { announce_close(); }
  [[nodiscard]] int get() const noexcept { return fd_.get(); }

 private:
  void announce_close() noexcept {
    if (!fd_) return;
    [[maybe_unused]] const ssize_t sent = ::send(fd_.get(), "", 0, MSG_DONTWAIT);
  }
  sys::Fd fd_;
};

}  // namespace udp_detail

// The wait policies. receive() puts one datagram into buffer and returns its full length, or
// -1 with errno: EINTR, EAGAIN when the timeout passed first, anything else is an error.
// A side without a timeout waits for ever (a dead client is the supervisor's to kill).

// udp: blocking recv(); the client's socket carries SO_RCVTIMEO.
class UdpRecvWait {
 public:
  static constexpr std::string_view kName = "udp";
  static constexpr std::string_view kMechanism = "UDP loopback, blocking recv() with a reply timeout";

  UdpRecvWait(int fd, std::optional<std::chrono::milliseconds> timeout) {
    if (timeout) udp_detail::set_receive_timeout(fd, *timeout);
  }
  ssize_t receive(int fd, std::span<std::byte> buffer) noexcept { return udp_detail::receive_datagram(fd, buffer, 0); }
};

#if defined(IPCBENCH_HAVE_UDP_EPOLL)
// udp-epoll: non-blocking socket; epoll_wait() until it is readable, then recv().
class UdpEpollWait {
 public:
  static constexpr std::string_view kName = "udp-epoll";
  static constexpr std::string_view kMechanism = "UDP loopback, non-blocking sockets, epoll_wait() on both sides";

  UdpEpollWait(int fd, std::optional<std::chrono::milliseconds> timeout);
  ssize_t receive(int fd, std::span<std::byte> buffer) {
    for (;;) {
      epoll_event event;
      const int ready = ::epoll_wait(epoll_.get(), &event, 1, timeout_ms_);
      if (ready == 0) {
        errno = EAGAIN;
        return -1;
      }
      if (ready < 0) [[unlikely]] {
        if (errno == EINTR) return -1;
        udp_detail::throw_wait_error("epoll_wait", epoll_.get(), errno);
      }
      const ssize_t received = udp_detail::receive_datagram(fd, buffer, 0);
      if (received >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) [[likely]] return received;
    }
  }

 private:
  sys::Fd epoll_;
  int timeout_ms_;  // -1: for ever
};
#endif

#if defined(IPCBENCH_HAVE_UDP_KQUEUE)
// udp-kqueue: non-blocking socket; kevent() until it is readable, then recv().
class UdpKqueueWait {
 public:
  static constexpr std::string_view kName = "udp-kqueue";
  static constexpr std::string_view kMechanism = "UDP loopback, non-blocking sockets, kevent() on both sides";

  UdpKqueueWait(int fd, std::optional<std::chrono::milliseconds> timeout);
  ssize_t receive(int fd, std::span<std::byte> buffer) {
    for (;;) {
      struct kevent event;
      const int ready = ::kevent(queue_.get(), nullptr, 0, &event, 1, forever_ ? nullptr : &timeout_);
      if (ready == 0) {
        errno = EAGAIN;
        return -1;
      }
      if (ready < 0) [[unlikely]] {
        if (errno == EINTR) return -1;
        udp_detail::throw_wait_error("kevent", queue_.get(), errno);
      }
      const ssize_t received = udp_detail::receive_datagram(fd, buffer, 0);
      if (received >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) [[likely]] return received;
    }
  }

 private:
  sys::Fd queue_;
  timespec timeout_{};
  bool forever_ = true;
};
#endif

// UDP over 127.0.0.1, one datagram per message (max 65507 bytes), sockets bound and connected
// before the fork. Wait decides what blocks: recv() itself (udp), epoll_wait() or kevent().
// A datagram can be lost: the client resends after kUdpReplyTimeout, drops stale replies,
// counts the resends in lost(), and gives up with PeerClosed after kUdpMaxWaits.
template <class Wait>
class UdpTransport {
 public:
  static constexpr TransportInfo kInfo{
      .name = Wait::kName,
      .mechanism = Wait::kMechanism,
      .max_payload_bytes = kUdpMaxPayloadBytes,
      .wait = WaitKind::block,
  };

  class Client {
   public:
    explicit Client(sys::Fd socket)
        : socket_(std::move(socket)),
          wait_(socket_.get(), kUdpReplyTimeout),
          spare_(std::make_unique<std::byte[]>(kUdpMaxPayloadBytes)) {}

    void send(std::span<const std::byte> message) {
      const Header header(message.size());
      expected_reply_ = ~header.read(message) & header.mask();
      request_ = message;
      resend_from_ = message;
      udp_detail::send_datagram(socket_.get(), message);
    }

    void receive(std::span<std::byte> message) {
      if (careful_) [[unlikely]] keep_request_aside(message);
      const ssize_t received = wait_.receive(socket_.get(), message);
      if (received == static_cast<ssize_t>(message.size()) && is_expected_reply(message)) [[likely]] return;
      recover(message, received, errno);
    }

    // Requests resent because no reply came within kUdpReplyTimeout.
    [[nodiscard]] std::uint64_t lost() const noexcept { return lost_; }

   private:
    [[nodiscard]] bool is_expected_reply(std::span<const std::byte> message) const noexcept {
      return Header(message.size()).read(message) == expected_reply_;
    }

    // Once anything was resent, a stale reply may turn up in a later round trip. When the
    // harness receives into the request's own buffer, such a reply would overwrite the request
    // before it might have to be sent again, so from then on the request is copied aside.
    void keep_request_aside(std::span<const std::byte> message) noexcept {
      if (udp_detail::overlaps(message, request_) && request_.size() <= kUdpMaxPayloadBytes) {
        std::memcpy(spare_.get(), request_.data(), request_.size());
        resend_from_ = {spare_.get(), request_.size()};
      }
    }

    // Everything but the expected reply at the first try: EINTR, stale replies, timeouts
    // (resend), errors.
    void recover(std::span<std::byte> message, ssize_t received, int error) {
      bool request_overwritten = false;
      int waits = 0;
      for (;;) {
        if (received == static_cast<ssize_t>(message.size())) {
          if (is_expected_reply(message)) return;
          request_overwritten = request_overwritten || udp_detail::overlaps(message, resend_from_);
        } else if (received < 0 && (error == EAGAIN || error == EWOULDBLOCK)) {
          if (++waits == kUdpMaxWaits) udp_detail::throw_no_reply(waits);
          if (request_overwritten) udp_detail::throw_cannot_resend();
          ++lost_;
          careful_ = true;
          udp_detail::send_datagram(socket_.get(), resend_from_);
        } else if (received >= 0 || error != EINTR) {
          udp_detail::throw_receive_error(socket_.get(), received, message.size(), error);
        }
        received = wait_.receive(socket_.get(), message);
        error = errno;
      }
    }

    udp_detail::Socket socket_;
    Wait wait_;
    std::unique_ptr<std::byte[]> spare_;  // the request's copy, once stale replies are possible
    std::span<const std::byte> request_;
    std::span<const std::byte> resend_from_;
    std::uint64_t expected_reply_ = 0;
    std::uint64_t lost_ = 0;
    bool careful_ = false;
  };

  class Server {
   public:
    explicit Server(sys::Fd socket) : socket_(std::move(socket)), wait_(socket_.get(), std::nullopt) {}

    // A resent request arrives twice when only its reply was late: both copies are answered
    // and the client drops the stale reply.
    void receive(std::span<std::byte> message) {
      for (;;) {
        const ssize_t received = wait_.receive(socket_.get(), message);
        if (received == static_cast<ssize_t>(message.size())) [[likely]] {
          if (drop_every_nth_ != 0) [[unlikely]] {
            if (++requests_seen_ % drop_every_nth_ == 0) continue;
          }
          return;
        }
        if (received < 0 && errno == EINTR) continue;
        udp_detail::throw_receive_error(socket_.get(), received, message.size(), errno);
      }
    }
    void send(std::span<const std::byte> message) { udp_detail::send_datagram(socket_.get(), message); }

    // Tests only: silently drop every n-th request that arrives (0: none), as a lossy network would.
    void set_drop_every_nth_for_tests(std::uint32_t n) noexcept {
      drop_every_nth_ = n;
      requests_seen_ = 0;
    }

   private:
    udp_detail::Socket socket_;
    Wait wait_;
    std::uint32_t drop_every_nth_ = 0;
    std::uint32_t requests_seen_ = 0;
  };

  explicit UdpTransport(const TransportSetup&) : sockets_(udp_detail::make_loopback_pair()) {}
  [[nodiscard]] Client client() { return Client(std::move(sockets_.client)); }
  [[nodiscard]] Server server() { return Server(std::move(sockets_.server)); }

 private:
  udp_detail::SocketPair sockets_;
};

using Udp = UdpTransport<UdpRecvWait>;
#if defined(IPCBENCH_HAVE_UDP_EPOLL)
using UdpEpoll = UdpTransport<UdpEpollWait>;
#endif
#if defined(IPCBENCH_HAVE_UDP_KQUEUE)
using UdpKqueue = UdpTransport<UdpKqueueWait>;
#endif

}  // namespace ipcbench
