// The one list of server architectures: the registry, the typed tests and `ipcbench list` follow it.
#pragma once

#include <tuple>

#include "servers/asio.hpp"
#include "servers/coro.hpp"
#include "servers/epoll.hpp"
#include "servers/reactors.hpp"

namespace ipcbench {

using AllArchitectures = std::tuple<EpollServer, ReactorsServer, CoroServer, AsioServer>;

}  // namespace ipcbench
