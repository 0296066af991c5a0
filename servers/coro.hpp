// `coro`: one thread, C++20 coroutines written here (no library), one per connection and one for the acceptor, resumed by an edge-triggered epoll.
#pragma once

#include <cstddef>
#include <string_view>

#include "servers/architecture.hpp"

namespace ipcbench {

struct CoroServer {
  static constexpr std::string_view kName = "coro";
  static constexpr std::string_view kDesign = "one thread, a C++20 coroutine per connection, resumed by edge-triggered epoll";
  template <Protocol P>
  static void serve(const ServeContext& context, P& protocol);

  // The bytes one connection's coroutine frame takes (its RequestBuffers included), as the
  // compiler sized it: what docs/servers.md and the tests report.
  template <Protocol P>
  static std::size_t connection_frame_bytes(P& protocol);
};

}  // namespace ipcbench
