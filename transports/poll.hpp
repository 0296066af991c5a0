// poll: TCP loopback, non-blocking sockets, both sides wait in poll().
#pragma once

#include <poll.h>

#include <cerrno>
#include <string_view>

#include "transports/tcp_loopback.hpp"

namespace ipcbench {

class PollWait {
 public:
  static constexpr std::string_view kName = "poll";
  static constexpr std::string_view kMechanism = "TCP loopback, non-blocking sockets, both sides wait in poll()";
  static constexpr bool kNonblocking = true;

  explicit PollWait(int socket) noexcept : socket_(socket) {}
  void readable() { wait(POLLIN); }
  void writable() { wait(POLLOUT); }

 private:
  void wait(short events) {
    pollfd entry{socket_, events, 0};
    const int ready = ::poll(&entry, 1, -1);
    if (ready < 0 && errno != EINTR) [[unlikely]] tcp::throw_wait_error(errno, "poll", socket_);
    if (ready > 0 && (entry.revents & POLLNVAL) != 0) [[unlikely]] tcp::throw_wait_error(EBADF, "poll", socket_);
  }

  int socket_;
};

// Non-blocking TCP_NODELAY sockets over 127.0.0.1; receive() blocks in poll() on its one
// socket before each read, send() only when the socket buffer is full. Payloads up to 1 MiB
// (a declared, tested limit).
using Poll = TcpLoopback<PollWait>;

}  // namespace ipcbench
