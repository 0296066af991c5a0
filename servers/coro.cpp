// The `coro` server: each connection's code reads straight through, co_await where it would block; one epoll loop resumes it.
#include "servers/coro.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

#include "harness/sys/fd.hpp"
#include "servers/epoll_set.hpp"
#include "servers/request_buffers.hpp"

namespace ipcbench {
namespace {

// A coroutine that starts suspended and, once returned, stays suspended at its end until
// its owner destroys it: the loop owns every frame, and destroys one the stop's deadline
// cut short exactly like one that returned.
class Task {
 public:
  struct promise_type {
    std::exception_ptr error;
    Task get_return_object() noexcept { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    std::suspend_always final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }
  };

  Task() noexcept = default;
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    std::swap(handle_, other.handle_);
    return *this;
  }
  ~Task() {
    if (handle_) handle_.destroy();
  }

  // Runs the coroutine to its next suspension; true once it has returned. What escaped it
  // is rethrown here, on the loop, and so out of serve().
  bool resume() {
    handle_.resume();
    if (!handle_.done()) return false;
    if (handle_.promise().error) std::rethrow_exception(handle_.promise().error);
    return true;
  }

 private:
  explicit Task(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
  std::coroutine_handle<promise_type> handle_;
};

// One watched descriptor: the coroutine serving it and what the loop has seen of it.
struct Slot {
  enum class Wait : std::uint8_t { none, read, write };
  sys::Fd fd;  // empty for the listener, which the process owns
  Task task;
  Wait waiting = Wait::none;
  bool readable = false;  // an edge came that the coroutine has not consumed yet
  bool writable = false;
  bool hung_up = false;   // the peer shut its side: a short read no longer proves the socket empty
  bool stopping = false;  // the server stops: read nothing more
};

// What `co_await readable(slot)` suspends on: the next edge in one direction, unless one
// came already (edge-triggered, so an edge nobody waited for must not be lost).
class Edge {
 public:
  Edge(Slot& slot, Slot::Wait direction) noexcept : slot_(slot), direction_(direction) {}
  bool await_ready() const noexcept { return std::exchange(direction_ == Slot::Wait::read ? slot_.readable : slot_.writable, false); }
  void await_suspend(std::coroutine_handle<>) const noexcept { slot_.waiting = direction_; }
  void await_resume() const noexcept {}

 private:
  Slot& slot_;
  Slot::Wait direction_;
};

Edge readable(Slot& slot) noexcept { return {slot, Slot::Wait::read}; }
Edge writable(Slot& slot) noexcept { return {slot, Slot::Wait::write}; }

// One connection from accept to close: read and answer until the socket is empty (or
// enough replies wait), write the replies, again. T is Task, or FrameProbe to measure it.
template <class T, Protocol P>
T serve_connection(Slot& slot, P& protocol, ServerCounters& counters) {
  const int fd = slot.fd.get();
  RequestBuffers buffers;
  bool drained = false;  // the last read emptied the socket: the next one waits for an edge
  bool peer_done = false;
  while (!peer_done && !buffers.closing() && !slot.stopping) {
    for (std::span<std::byte> space; !slot.stopping && !(space = buffers.read_space()).empty();) {
      if (drained) {
        if (!buffers.unsent().empty()) break;
        co_await readable(slot);
        drained = false;
        continue;
      }
      const ssize_t n = ::recv(fd, space.data(), space.size(), 0);
      if (n > 0) {
        buffers.received(static_cast<std::size_t>(n));
        if (!buffers.answer_all(protocol)) counters.on_refuse();
        drained = static_cast<std::size_t>(n) < space.size() && !slot.hung_up;
      } else if (n == 0) {
        peer_done = true;
        break;
      } else if (errno == EAGAIN) {
        drained = true;
      } else if (errno != EINTR) {
        co_return;
      }
    }
    for (std::span<const std::byte> unsent = buffers.unsent(); !unsent.empty(); unsent = buffers.unsent()) {
      const ssize_t n = ::send(fd, unsent.data(), unsent.size(), MSG_NOSIGNAL);
      if (n > 0) {
        buffers.sent(static_cast<std::size_t>(n));
      } else if (errno == EAGAIN) {
        co_await writable(slot);
      } else if (errno != EINTR) {
        co_return;
      }
    }
  }
}

template <Protocol P>
class CoroLoop {
 public:
  CoroLoop(const ServeContext& context, P& protocol)
      : context_(context), protocol_(protocol) {
    epoll_.add(context_.listener(), EPOLLIN | EPOLLET);
    epoll_.add(context_.stop_fd(), EPOLLIN);
  }

  // Serves until the stop descriptor is readable, then ends every connection.
  void run() {
    acceptor_.task = accept_connections();
    static_cast<void>(acceptor_.task.resume());
    std::array<epoll_event, 256> events;
    std::chrono::steady_clock::time_point deadline;
    while (!stopping_ || (open_ > 0 && std::chrono::steady_clock::now() < deadline)) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      const int timeout_ms = stopping_ ? static_cast<int>(std::max<std::int64_t>(left.count(), 0)) : -1;
      for (const epoll_event& event : epoll_.wait(events, timeout_ms)) {
        const int fd = event.data.fd;
        if (fd == context_.stop_fd()) {
          if (!stopping_) {
            deadline = std::chrono::steady_clock::now() + ServeContext::kStopGrace;
            stop();
          }
        } else if (fd == context_.listener()) {
          static_cast<void>(wake(acceptor_, event.events));
        } else if (Slot* slot = connection(fd); slot && !wake(*slot, event.events)) {
          close(fd);
        }
      }
    }
    for (std::size_t fd = 0; fd < connections_.size(); ++fd)
      if (connections_[fd]) close(static_cast<int>(fd));
  }

 private:
  Task accept_connections() {
    while (!acceptor_.stopping) {
      if (sys::Fd fd = accept_connection(context_.listener())) open(std::move(fd));
      else co_await readable(acceptor_);
    }
  }

  void open(sys::Fd fd) {
    const int raw = fd.get();
    if (static_cast<std::size_t>(raw) >= connections_.size()) connections_.resize(static_cast<std::size_t>(raw) + 1);
    std::unique_ptr<Slot>& slot = connections_[static_cast<std::size_t>(raw)];
    slot = std::make_unique<Slot>();
    slot->fd = std::move(fd);
    slot->task = serve_connection<Task>(*slot, protocol_, context_.counters());
    ++open_;
    context_.counters().on_accept();
    // Edge-triggered on both directions from the start: one registration, no re-arming.
    epoll_.add(raw, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
    if (slot->task.resume()) close(raw);
  }

  // Notes the edges an event brings and resumes the coroutine if it waits for one of them;
  // false once the coroutine has returned.
  bool wake(Slot& slot, std::uint32_t events) {
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) slot.readable = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) slot.writable = true;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) slot.hung_up = true;
    bool& edge = slot.waiting == Slot::Wait::write ? slot.writable : slot.readable;
    if (slot.waiting == Slot::Wait::none || !edge) return true;
    edge = false;
    slot.waiting = Slot::Wait::none;
    return !slot.task.resume();
  }

  // Stop: the acceptor returns; every connection reads nothing more, and one waiting to
  // read (so with nothing left to write) is woken to return now.
  void stop() {
    stopping_ = true;
    epoll_.remove(context_.listener());
    epoll_.remove(context_.stop_fd());
    acceptor_.stopping = true;
    static_cast<void>(wake(acceptor_, EPOLLIN));
    for (std::size_t fd = 0; fd < connections_.size(); ++fd) {
      if (!connections_[fd]) continue;
      connections_[fd]->stopping = true;
      if (!wake(*connections_[fd], EPOLLIN)) close(static_cast<int>(fd));
    }
  }

  [[nodiscard]] Slot* connection(int fd) noexcept {
    return static_cast<std::size_t>(fd) < connections_.size() ? connections_[static_cast<std::size_t>(fd)].get() : nullptr;
  }

  void close(int fd) noexcept {
    connections_[static_cast<std::size_t>(fd)].reset();  // the frame, then the descriptor, which leaves the epoll set
    --open_;
    context_.counters().on_close();
  }

  const ServeContext& context_;
  P& protocol_;
  EpollSet epoll_;
  Slot acceptor_;                                   // its fd empty: the listener is the process's
  std::vector<std::unique_ptr<Slot>> connections_;  // by descriptor; a Slot stays put while its coroutine refers to it
  std::size_t open_ = 0;
  bool stopping_ = false;
};

// A frame laid out as serve_connection's own (the same body, a promise of the same size)
// whose allocation records its size.
struct FrameProbe {
  struct promise_type : Task::promise_type {
    static inline std::size_t frame_bytes = 0;
    static void* operator new(std::size_t bytes) {
      frame_bytes = bytes;
      return ::operator new(bytes);
    }
    FrameProbe get_return_object() noexcept { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
  };
  std::coroutine_handle<promise_type> handle;
};
static_assert(sizeof(FrameProbe::promise_type) == sizeof(Task::promise_type));

}  // namespace

template <Protocol P>
void CoroServer::serve(const ServeContext& context, P& protocol) {
  CoroLoop<P> loop(context, protocol);
  context.ready();
  loop.run();
}

template <Protocol P>
std::size_t CoroServer::connection_frame_bytes(P& protocol) {
  Slot slot;
  ServerCounters counters;
  serve_connection<FrameProbe>(slot, protocol, counters).handle.destroy();  // never resumed: only its size matters
  return FrameProbe::promise_type::frame_bytes;
}

template void CoroServer::serve(const ServeContext&, EchoProtocol&);
template void CoroServer::serve(const ServeContext&, KvProtocol&);
template void CoroServer::serve(const ServeContext&, HttpProtocol&);
template std::size_t CoroServer::connection_frame_bytes(EchoProtocol&);
template std::size_t CoroServer::connection_frame_bytes(KvProtocol&);
template std::size_t CoroServer::connection_frame_bytes(HttpProtocol&);

}  // namespace ipcbench
