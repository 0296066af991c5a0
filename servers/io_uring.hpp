// `io_uring`: one thread, one ring; accept, recv and send are submitted and their completions drive each connection.
#pragma once

#include <string_view>

#include "servers/architecture.hpp"

namespace ipcbench {

// Completion-driven: a multishot accept, and per connection one recv or one send in flight
// at a time (recv, answer, send it all, recv again), so the kernel and the server never
// touch a connection's buffers at once. Blocks only in io_uring_enter. Needs io_uring
// (kernel.io_uring_disabled=0); multishot accept from Linux 5.19, re-armed accepts before.
struct IoUringServer {
  static constexpr std::string_view kName = "io_uring";
  static constexpr std::string_view kDesign = "one thread, one io_uring: multishot accept, one recv or send in flight per connection";
  template <Protocol P>
  static void serve(const ServeContext& context, P& protocol);
};

}  // namespace ipcbench
