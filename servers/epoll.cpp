// The `epoll` server: one EpollLoop on the process's listener.
#include "servers/epoll.hpp"

#include "servers/epoll_loop.hpp"

namespace ipcbench {

template <Protocol P>
void EpollServer::serve(const ServeContext& context, P& protocol) {
  EpollLoop<P> loop(context, context.listener(), protocol);
  context.ready();
  loop.run();
}

template void EpollServer::serve(const ServeContext&, EchoProtocol&);
template void EpollServer::serve(const ServeContext&, KvProtocol&);
template void EpollServer::serve(const ServeContext&, HttpProtocol&);

}  // namespace ipcbench
