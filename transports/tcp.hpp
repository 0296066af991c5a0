// tcp: TCP loopback with blocking sockets; the kernel's own wait inside recv() and send().
#pragma once

#include <string_view>

#include "transports/tcp_loopback.hpp"

namespace ipcbench {

// The trivial wait policy: the socket stays blocking, so there is nothing to wait on first.
struct BlockingWait {
  static constexpr std::string_view kName = "tcp";
  static constexpr std::string_view kMechanism = "TCP loopback, blocking sockets, TCP_NODELAY";
  static constexpr bool kNonblocking = false;
  explicit BlockingWait(int /*socket*/) noexcept {}
  void readable() noexcept {}
  void writable() noexcept {}
};

// Blocking TCP_NODELAY sockets over 127.0.0.1: recv() blocks in the kernel until bytes arrive,
// send() until the socket buffer has room. The baseline the waiting transports (select, poll,
// epoll, libevent) add their wait to. Payloads up to 1 MiB (a declared, tested limit).
using Tcp = TcpLoopback<BlockingWait>;

}  // namespace ipcbench
