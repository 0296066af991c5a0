// The `libevent` server: callbacks on a listener, the stop descriptor and each connection's bufferevent.
#include "servers/libevent.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "harness/sys/fd.hpp"
#include "harness/sys/libevent_owners.hpp"
#include "servers/request_buffers.hpp"

namespace ipcbench {
namespace {

using sys::EventBasePtr;
using sys::EventPtr;
struct ListenerFree {
  void operator()(evconnlistener* listener) const noexcept { evconnlistener_free(listener); }
};
struct BuffereventFree {
  void operator()(bufferevent* bev) const noexcept { bufferevent_free(bev); }
};
using ListenerPtr = std::unique_ptr<evconnlistener, ListenerFree>;
using BuffereventPtr = std::unique_ptr<bufferevent, BuffereventFree>;

constexpr timeval timeval_of(std::chrono::microseconds duration) noexcept {
  return {static_cast<time_t>(duration.count() / 1'000'000), static_cast<suseconds_t>(duration.count() % 1'000'000)};
}

template <Protocol P>
class LibeventLoop;

template <Protocol P>
struct LibeventConnection {
  LibeventLoop<P>& loop;
  // Not BEV_OPT_CLOSE_ON_FREE: freed inside its own callback, a bufferevent closes its socket
  // only later in the loop, after the connection was counted closed. The bufferevent goes
  // first (leaving epoll at once), then the socket.
  sys::Fd socket;
  BuffereventPtr bev;
  std::size_t index;   // in the loop's table
  RequestBuffers buffers;
  bool draining = false;  // reads nothing more; freed once its output is written
};

// The callbacks run inside event_base_dispatch(), a C frame: they never throw; the first
// exception breaks the loop and run() rethrows it.
template <Protocol P>
class LibeventLoop {
  using Connection = LibeventConnection<P>;

 public:
  LibeventLoop(const ServeContext& context, P& protocol) : context_(context), protocol_(protocol) {
    base_.reset(event_base_new());
    if (!base_) throw std::runtime_error("libevent: event_base_new failed");
    // Backlog 0: the socket already listens. No LEV_OPT_CLOSE_ON_FREE: the process owns it.
    listener_.reset(evconnlistener_new(base_.get(), &on_accept, this, LEV_OPT_CLOSE_ON_EXEC, 0, context.listener()));
    if (!listener_) throw std::runtime_error("libevent: evconnlistener_new failed");
    evconnlistener_set_error_cb(listener_.get(), &on_accept_error);
    stop_.reset(event_new(base_.get(), context.stop_fd(), EV_READ, &on_stop, this));
    grace_.reset(evtimer_new(base_.get(), &on_grace, this));
    accept_retry_.reset(evtimer_new(base_.get(), &on_accept_retry, this));
    if (!stop_ || !grace_ || !accept_retry_) throw std::runtime_error("libevent: event_new failed");
    if (event_add(stop_.get(), nullptr) != 0) throw std::runtime_error("libevent: event_add of the stop event failed");
  }

  // Serves until the stop descriptor is readable and every connection is closed.
  void run() {
    const int result = event_base_dispatch(base_.get());
    if (error_) std::rethrow_exception(error_);
    if (result < 0) throw std::runtime_error("libevent: event_base_dispatch failed");
  }

 private:
  template <class F>
  void guarded(F f) noexcept {
    try {
      f();
    } catch (...) {
      if (!error_) error_ = std::current_exception();
      event_base_loopbreak(base_.get());
    }
  }

  static void on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg) noexcept {
    auto& loop = *static_cast<LibeventLoop*>(arg);
    sys::Fd socket(fd);
    loop.guarded([&] { loop.open(std::move(socket)); });
  }

  static void on_accept_error(evconnlistener*, void* arg) noexcept {
    auto& loop = *static_cast<LibeventLoop*>(arg);
    const int error = EVUTIL_SOCKET_ERROR();
    // Out of descriptors: the listener's level-triggered event would spin; connections wait
    // in the backlog. Any other error concerned one connection only.
    if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
      evconnlistener_disable(loop.listener_.get());
      const timeval retry = timeval_of(kAcceptBackoff);
      event_add(loop.accept_retry_.get(), &retry);
    }
  }

  static void on_accept_retry(evutil_socket_t, short, void* arg) noexcept {
    auto& loop = *static_cast<LibeventLoop*>(arg);
    if (loop.listener_) evconnlistener_enable(loop.listener_.get());
  }

  static void on_read(bufferevent*, void* arg) noexcept {
    Connection& c = *static_cast<Connection*>(arg);
    c.loop.guarded([&] { c.loop.process(c); });
  }

  // Installed only while reading waits for the output to drain, or a draining connection
  // waits to be freed: no callback per reply otherwise.
  static void on_write(bufferevent*, void* arg) noexcept {
    Connection& c = *static_cast<Connection*>(arg);
    c.loop.guarded([&] { c.loop.written(c); });
  }

  static void on_event(bufferevent*, short what, void* arg) noexcept {
    Connection& c = *static_cast<Connection*>(arg);
    c.loop.guarded([&] {
      // The peer is done sending: what it was answered is still written, then it closes.
      // Anything else (a reset, a failed write) closes now.
      if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) && !c.draining) c.loop.drain(c);
      else c.loop.close(c);
    });
  }

  static void on_stop(evutil_socket_t, short, void* arg) noexcept {
    auto& loop = *static_cast<LibeventLoop*>(arg);
    loop.guarded([&] { loop.begin_stop(); });
  }

  static void on_grace(evutil_socket_t, short, void* arg) noexcept {
    auto& loop = *static_cast<LibeventLoop*>(arg);
    loop.guarded([&] {
      while (!loop.connections_.empty()) loop.close(*loop.connections_.back());
    });
  }

  void open(sys::Fd fd) {
    context_.counters().on_accept();
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    BuffereventPtr bev(bufferevent_socket_new(base_.get(), fd.get(), 0));
    if (!bev) {
      context_.counters().on_close();
      return;
    }
    connections_.push_back(
        std::make_unique<Connection>(Connection{*this, std::move(fd), std::move(bev), connections_.size(), {}}));
    Connection& c = *connections_.back();
    bufferevent_setcb(c.bev.get(), &on_read, nullptr, &on_event, &c);
    if (bufferevent_enable(c.bev.get(), EV_READ) != 0) close(c);
  }

  // What the input buffer holds goes through the protocol into the output buffer, until the
  // output holds more than a connection may leave unsent: then reading waits for it to drain.
  void process(Connection& c) {
    evbuffer* input = bufferevent_get_input(c.bev.get());
    evbuffer* output = bufferevent_get_output(c.bev.get());
    while (evbuffer_get_length(output) <= RequestBuffers::kMaxUnsentBytes) {
      const std::span<std::byte> space = c.buffers.read_space();
      const int n = evbuffer_remove(input, space.data(), space.size());
      if (n <= 0) return;
      c.buffers.received(static_cast<std::size_t>(n));
      const bool refused = !c.buffers.answer_all(protocol_);
      const std::span<const std::byte> unsent = c.buffers.unsent();
      if (!unsent.empty()) {
        if (bufferevent_write(c.bev.get(), unsent.data(), unsent.size()) != 0) [[unlikely]]
          throw std::runtime_error("libevent: bufferevent_write failed");
        c.buffers.sent(unsent.size());
      }
      if (c.buffers.closing()) {  // a refusal, or the last request answered
        if (refused) context_.counters().on_refuse();
        return drain(c);
      }
    }
    bufferevent_disable(c.bev.get(), EV_READ);
    bufferevent_setwatermark(c.bev.get(), EV_WRITE, RequestBuffers::kMaxUnsentBytes / 2, 0);
    bufferevent_setcb(c.bev.get(), &on_read, &on_write, &on_event, &c);
  }

  void written(Connection& c) {
    if (c.draining) return close(c);  // its low mark is 0: the output is empty
    // Below the low mark: read again, starting with what the input buffer already holds.
    bufferevent_setwatermark(c.bev.get(), EV_WRITE, 0, 0);
    bufferevent_setcb(c.bev.get(), &on_read, nullptr, &on_event, &c);
    if (bufferevent_enable(c.bev.get(), EV_READ) != 0) return close(c);
    process(c);
  }

  // Reads nothing more; frees the connection now if its output is empty, else once it is.
  void drain(Connection& c) {
    bufferevent_disable(c.bev.get(), EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(c.bev.get())) == 0) return close(c);
    c.draining = true;
    bufferevent_setwatermark(c.bev.get(), EV_WRITE, 0, 0);
    bufferevent_setcb(c.bev.get(), nullptr, &on_write, &on_event, &c);
  }

  void begin_stop() {
    stopping_ = true;
    listener_.reset();
    event_del(accept_retry_.get());
    // Backwards: closing one moves the last, already visited, into its place.
    for (std::size_t i = connections_.size(); i-- > 0;)
      if (!connections_[i]->draining) drain(*connections_[i]);
    if (connections_.empty()) {
      event_base_loopexit(base_.get(), nullptr);
    } else {
      const timeval grace = timeval_of(ServeContext::kStopGrace);
      if (event_add(grace_.get(), &grace) != 0) throw std::runtime_error("libevent: event_add of the grace timer failed");
    }
  }

  // Frees the connection: its bufferevent (libevent defers the memory while one of its
  // callbacks runs), then its socket.
  void close(Connection& c) {
    const std::size_t i = c.index;
    std::swap(connections_[i], connections_.back());
    connections_[i]->index = i;
    connections_.pop_back();
    context_.counters().on_close();
    if (stopping_ && connections_.empty()) event_base_loopexit(base_.get(), nullptr);
  }

  const ServeContext& context_;
  P& protocol_;
  // Destroyed bottom-up: connections and events before their base.
  EventBasePtr base_;
  ListenerPtr listener_;
  EventPtr stop_;
  EventPtr grace_;
  EventPtr accept_retry_;
  std::vector<std::unique_ptr<Connection>> connections_;
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace

template <Protocol P>
void LibeventServer::serve(const ServeContext& context, P& protocol) {
  LibeventLoop<P> loop(context, protocol);
  context.ready();
  loop.run();
}

template void LibeventServer::serve(const ServeContext&, EchoProtocol&);
template void LibeventServer::serve(const ServeContext&, KvProtocol&);
template void LibeventServer::serve(const ServeContext&, HttpProtocol&);

}  // namespace ipcbench
