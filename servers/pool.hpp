// `pool`: one I/O thread cuts requests and writes replies; a fixed pool of worker threads answers them.
#pragma once

#include <string_view>

#include "servers/architecture.hpp"

namespace ipcbench {

// The I/O thread runs edge-triggered epoll over non-blocking sockets and hands each whole
// request to a worker through a lock-free queue; the worker answers into the connection's
// buffers and hands the connection back. A connection has at most one request with the
// workers, so pipelined requests are answered in order; what a request costs is two queue
// hand-offs and, when the other side sleeps, a wake-up each way.
struct PoolServer {
  static constexpr std::string_view kName = "pool";
  static constexpr std::string_view kDesign = "one epoll I/O thread, a worker pool answering through lock-free queues";
  template <Protocol P>
  static void serve(const ServeContext& context, P& protocol);
};

}  // namespace ipcbench
