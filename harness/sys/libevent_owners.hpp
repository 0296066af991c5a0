// Owners of libevent's objects (event_base, event): the one definition the libevent transport and server share.
#pragma once

#include <event2/event.h>

#include <memory>

namespace ipcbench::sys {

struct EventBaseFree {
  void operator()(event_base* base) const noexcept { event_base_free(base); }
};
struct EventFree {
  void operator()(event* ev) const noexcept { event_free(ev); }
};
using EventBasePtr = std::unique_ptr<event_base, EventBaseFree>;
using EventPtr = std::unique_ptr<event, EventFree>;

}  // namespace ipcbench::sys
