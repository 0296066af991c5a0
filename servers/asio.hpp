// `asio`: Boost.Asio's C++20 coroutines on one io_context run by the calling thread: one per connection, one accepting, one awaiting the stop.
#pragma once

#include <string_view>

#include "servers/architecture.hpp"

namespace ipcbench {

struct AsioServer {
  static constexpr std::string_view kName = "asio";
  static constexpr std::string_view kDesign = "one thread, Boost.Asio io_context, a co_spawn'd coroutine per connection";
  template <Protocol P>
  static void serve(const ServeContext& context, P& protocol);
};

}  // namespace ipcbench
