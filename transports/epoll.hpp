// epoll and udp-epoll (Linux): the TCP stream and the UDP endpoints over an epoll readiness policy.
#pragma once

#include <sys/epoll.h>

#include <cerrno>
#include <cstdint>

#include "harness/sys/fd.hpp"
#include "transports/readiness.hpp"
#include "transports/tcp.hpp"
#include "transports/udp.hpp"

namespace ipcbench {

// Its own epoll instance holding the one descriptor, level-triggered, interested in one
// direction at a time. The interest changes only when a send() found the socket buffer
// full, so a small message costs one epoll_wait() per receive and no epoll_ctl().
class EpollReadiness {
 public:
  static constexpr bool kNonblocking = true;
  explicit EpollReadiness(int fd);
  bool wait(Interest interest, int timeout_ms) {
    const std::uint32_t events = interest == Interest::read ? EPOLLIN : EPOLLOUT;
    if (events_ != events) [[unlikely]] change_interest(events);
    for (;;) {
      epoll_event ready;
      const int n = ::epoll_wait(epoll_.get(), &ready, 1, timeout_ms);
      if (n >= 0) [[likely]] return n > 0;
      if (errno != EINTR) readiness_detail::throw_wait_error(errno, "epoll_wait", fd_);
    }
  }

 private:
  void change_interest(std::uint32_t events);

  sys::Fd epoll_;
  int fd_;
  std::uint32_t events_ = EPOLLIN;
};

// As select, each side with its own epoll instance holding its one socket.
struct Epoll : TcpTransport<StreamSocket<EpollReadiness>> {
  static constexpr TransportInfo kInfo{.name = "epoll",
                                       .mechanism = "TCP, non-blocking sockets, both sides wait in epoll_wait()",
                                       .max_payload_bytes = tcp::kMaxPayloadBytes};
};

// udp-epoll: non-blocking sockets; epoll_wait() until readable, then recv().
struct UdpEpoll : UdpTransport<EpollReadiness> {
  static constexpr TransportInfo kInfo{.name = "udp-epoll",
                                       .mechanism = "UDP, non-blocking sockets, epoll_wait() on both sides",
                                       .max_payload_bytes = udp::kMaxPayloadBytes};
};

}  // namespace ipcbench
