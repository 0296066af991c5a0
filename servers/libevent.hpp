// `libevent`: one thread, one libevent event_base: an evconnlistener and a bufferevent per connection.
#pragma once

#include <string_view>

#include "servers/architecture.hpp"

namespace ipcbench {

// Callback-driven the way most libevent servers are written: the bufferevent reads into
// its input buffer, the read callback answers through RequestBuffers into the output
// buffer, libevent writes it. Blocks only in epoll_wait (libevent's backend). Replies are
// copied twice more than in `epoll` (into and out of the evbuffers): that cost is the point.
struct LibeventServer {
  static constexpr std::string_view kName = "libevent";
  static constexpr std::string_view kDesign = "one thread, a libevent event_base, a bufferevent per connection";
  template <Protocol P>
  static void serve(const ServeContext& context, P& protocol);
};

}  // namespace ipcbench
