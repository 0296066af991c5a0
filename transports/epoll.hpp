// epoll: TCP loopback, non-blocking sockets, both sides wait in epoll_wait() (Linux only).
#pragma once

#if defined(__linux__)
#define IPCBENCH_HAVE_EPOLL 1

#include <sys/epoll.h>

#include <cerrno>
#include <cstdint>
#include <string_view>

#include <fmt/format.h>

#include "harness/sys/fd.hpp"
#include "transports/tcp_loopback.hpp"

namespace ipcbench {

class EpollWait {
 public:
  static constexpr std::string_view kName = "epoll";
  static constexpr std::string_view kMechanism = "TCP loopback, non-blocking sockets, both sides wait in epoll_wait()";
  static constexpr bool kNonblocking = true;

  explicit EpollWait(int socket) : epoll_(::epoll_create1(EPOLL_CLOEXEC)), socket_(socket) {
    if (!epoll_) throw fmt::system_error(errno, "epoll_create1");
    epoll_event interest{};
    interest.events = interest_;
    interest.data.fd = socket;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, socket, &interest) != 0)
      throw fmt::system_error(errno, "epoll_ctl(EPOLL_CTL_ADD) of fd {}", socket);
  }
  void readable() { wait(EPOLLIN); }
  void writable() { wait(EPOLLOUT); }

 private:
  // Level-triggered interest in one direction at a time. It changes only when a send() found
  // the socket buffer full, so small messages cost one epoll_wait() per receive and no epoll_ctl().
  void wait(std::uint32_t events) {
    if (interest_ != events) [[unlikely]] {
      epoll_event change{};
      change.events = events;
      change.data.fd = socket_;
      if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, socket_, &change) != 0) [[unlikely]]
        tcp::throw_wait_error(errno, "epoll_ctl(EPOLL_CTL_MOD)", socket_);
      interest_ = events;
    }
    epoll_event ready;
    if (::epoll_wait(epoll_.get(), &ready, 1, -1) < 0 && errno != EINTR) [[unlikely]]
      tcp::throw_wait_error(errno, "epoll_wait", socket_);
  }

  sys::Fd epoll_;
  int socket_;
  std::uint32_t interest_ = EPOLLIN;
};

// Non-blocking TCP_NODELAY sockets over 127.0.0.1, each side with its own epoll instance
// holding its one socket; receive() blocks in epoll_wait() before each read, send() only when
// the socket buffer is full. Payloads up to 1 MiB (a declared, tested limit).
using Epoll = TcpLoopback<EpollWait>;

}  // namespace ipcbench

#else
#define IPCBENCH_HAVE_EPOLL 0
#endif
