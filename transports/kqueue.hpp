// kqueue and udp-kqueue (macOS, the BSDs): the TCP stream and the UDP endpoints over a kqueue readiness policy.
#pragma once

#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdint>
#include <ctime>

#include "harness/sys/fd.hpp"
#include "transports/readiness.hpp"
#include "transports/tcp.hpp"
#include "transports/udp.hpp"

namespace ipcbench {

// Its own kqueue holding the one descriptor with both filters, level-triggered (no EV_CLEAR,
// as epoll's policy is): EVFILT_READ enabled, EVFILT_WRITE added disabled. A change of
// interest, which happens only when a send() found the socket buffer full, is an EV_ENABLE
// and an EV_DISABLE handed to the same kevent() call that waits, so a small message costs one
// kevent() per receive and nothing else. The kqueue is made in the endpoint's constructor,
// after the harness has forked: a kqueue does not survive fork().
class KqueueReadiness {
 public:
  static constexpr bool kNonblocking = true;
  explicit KqueueReadiness(int fd);
  bool wait(Interest interest, int timeout_ms) {
    struct kevent changes[2];
    int change_count = 0;
    if (interest != interest_) [[unlikely]] change_count = interest_changes(interest, changes);
    const timespec timeout{static_cast<time_t>(timeout_ms / 1000), static_cast<long>(timeout_ms % 1000) * 1'000'000L};
    for (;;) {
      struct kevent ready;
      const int n = ::kevent(kqueue_.get(), changes, change_count, &ready, 1, timeout_ms < 0 ? nullptr : &timeout);
      if (n > 0 && (ready.flags & EV_ERROR) != 0) [[unlikely]] readiness_detail::throw_wait_error(static_cast<int>(ready.data), "kevent", fd_);
      if (n >= 0) [[likely]] {
        interest_ = interest;  // the changes were applied, whether an event came or the timeout
        return n > 0;
      }
      // On EINTR the changes are handed in again: enabling and disabling are idempotent.
      if (errno != EINTR) readiness_detail::throw_wait_error(errno, "kevent", fd_);
    }
  }

 private:
  // Fills `changes` with the enabling of `interest`'s filter and the disabling of the other's.
  int interest_changes(Interest interest, struct kevent* changes) const noexcept;

  sys::Fd kqueue_;
  int fd_;
  Interest interest_ = Interest::read;
};

// As select, each side with its own kqueue holding its one socket.
struct Kqueue : TcpTransport<StreamSocket<KqueueReadiness>> {
  static constexpr TransportInfo kInfo{.name = "kqueue",
                                       .mechanism = "TCP, non-blocking sockets, both sides wait in kevent()",
                                       .max_payload_bytes = tcp::kMaxPayloadBytes};
};

// udp-kqueue: non-blocking sockets; kevent() until readable, then recv().
struct UdpKqueue : UdpTransport<KqueueReadiness> {
  static constexpr TransportInfo kInfo{.name = "udp-kqueue",
                                       .mechanism = "UDP, non-blocking sockets, kevent() on both sides",
                                       .max_payload_bytes = udp::kMaxPayloadBytes};
};

}  // namespace ipcbench
