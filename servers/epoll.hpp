// `epoll`: one thread, non-blocking sockets, edge-triggered epoll and a table of connections (seed 001's server).
#pragma once

#include <string_view>

#include "servers/architecture.hpp"

namespace ipcbench {

struct EpollServer {
  static constexpr std::string_view kName = "epoll";
  static constexpr std::string_view kDesign = "one thread, edge-triggered epoll, a table of connections";
  template <Protocol P>
  static void serve(const ServeContext& context, P& protocol);
};

}  // namespace ipcbench
