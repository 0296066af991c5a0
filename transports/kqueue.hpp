// kqueue: TCP loopback, non-blocking sockets, both sides wait in kevent() (macOS and the BSDs only).
#pragma once

#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || defined(__DragonFly__)
#define IPCBENCH_HAVE_KQUEUE 1

#include <fcntl.h>
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>

#include <cerrno>
#include <string_view>

#include <fmt/format.h>

#include "harness/sys/fd.hpp"
#include "transports/tcp_loopback.hpp"

namespace ipcbench {

class KqueueWait {
 public:
  static constexpr std::string_view kName = "kqueue";
  static constexpr std::string_view kMechanism = "TCP loopback, non-blocking sockets, both sides wait in kevent()";
  static constexpr bool kNonblocking = true;

  explicit KqueueWait(int socket) : kqueue_(::kqueue()), socket_(socket) {
    if (!kqueue_) throw fmt::system_error(errno, "kqueue");
    if (::fcntl(kqueue_.get(), F_SETFD, FD_CLOEXEC) != 0) throw fmt::system_error(errno, "fcntl(FD_CLOEXEC) on the kqueue");
    struct kevent filters[2];
    EV_SET(&filters[0], socket, EVFILT_READ, EV_ADD | EV_ENABLE, 0, 0, 0);
    EV_SET(&filters[1], socket, EVFILT_WRITE, EV_ADD | EV_DISABLE, 0, 0, 0);
    if (::kevent(kqueue_.get(), filters, 2, nullptr, 0, nullptr) != 0)
      throw fmt::system_error(errno, "kevent(EV_ADD) of fd {}", socket);
  }
  void readable() { wait(EVFILT_READ); }
  void writable() { wait(EVFILT_WRITE); }

 private:
  using Filter = decltype(kevent::filter);

  // One direction enabled at a time, like the epoll policy; a switch (only after a send()
  // found the socket buffer full) rides in the same kevent() call as the wait.
  void wait(Filter filter) {
    struct kevent changes[2];
    int count = 0;
    if (interest_ != filter) [[unlikely]] {
      EV_SET(&changes[0], socket_, interest_, EV_DISABLE, 0, 0, 0);
      EV_SET(&changes[1], socket_, filter, EV_ENABLE, 0, 0, 0);
      count = 2;
      interest_ = filter;
    }
    struct kevent ready;
    const int n = ::kevent(kqueue_.get(), changes, count, &ready, 1, nullptr);
    if (n < 0 && errno != EINTR) [[unlikely]] tcp::throw_wait_error(errno, "kevent", socket_);
    if (n > 0 && (ready.flags & EV_ERROR) != 0 && ready.data != 0) [[unlikely]]
      tcp::throw_wait_error(static_cast<int>(ready.data), "kevent", socket_);
  }

  sys::Fd kqueue_;
  int socket_;
  Filter interest_ = EVFILT_READ;
};

// Non-blocking TCP_NODELAY sockets over 127.0.0.1, each side with its own kqueue holding its
// one socket; receive() blocks in kevent() before each read, send() only when the socket
// buffer is full. Payloads up to 1 MiB (a declared, tested limit).
using Kqueue = TcpLoopback<KqueueWait>;

}  // namespace ipcbench

#else
#define IPCBENCH_HAVE_KQUEUE 0
#endif
