// `threads`: a thread per connection on blocking sockets, each with a small stack; the serving thread only accepts.
#pragma once

#include <string_view>

#include "servers/architecture.hpp"

namespace ipcbench {

// Each connection's thread blocks in recv and send, so the kernel's scheduler is the event
// loop; a thread costs a 64 KiB stack, the thread count is the connection count. Finished
// threads are joined by the acceptor as they end; a stop shuts every socket's read side.
struct ThreadsServer {
  static constexpr std::string_view kName = "threads";
  static constexpr std::string_view kDesign = "a thread per connection, blocking sockets, 64 KiB stacks";
  template <Protocol P>
  static void serve(const ServeContext& context, P& protocol);
};

}  // namespace ipcbench
