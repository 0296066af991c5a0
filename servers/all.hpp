// The one list of server architectures: the registry, the typed tests and `ipcbench list` follow it.
#pragma once

#include <tuple>

#include "servers/asio.hpp"
#include "servers/coro.hpp"
#include "servers/epoll.hpp"
#include "servers/io_uring.hpp"
#include "servers/libevent.hpp"
#include "servers/pool.hpp"
#include "servers/reactors.hpp"
#include "servers/threads.hpp"

namespace ipcbench {

using AllArchitectures =
    std::tuple<EpollServer, ReactorsServer, PoolServer, ThreadsServer, CoroServer, AsioServer, IoUringServer, LibeventServer>;

}  // namespace ipcbench
