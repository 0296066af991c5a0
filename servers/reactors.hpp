// `reactors`: one epoll loop per CPU of the server's set, each with its own SO_REUSEPORT listener; nothing shared but the kv store.
#pragma once

#include <string_view>

#include "servers/architecture.hpp"

namespace ipcbench {

struct ReactorsServer {
  static constexpr std::string_view kName = "reactors";
  static constexpr std::string_view kDesign = "one epoll loop per CPU, each pinned, SO_REUSEPORT listeners";
  template <Protocol P>
  static void serve(const ServeContext& context, P& protocol);
};

}  // namespace ipcbench
