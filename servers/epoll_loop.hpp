// EpollLoop: one thread's edge-triggered epoll over a listener and a table of connections; the `epoll` and `reactors` servers run it.
#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <memory>
#include <system_error>
#include <vector>

#include "harness/sys/fd.hpp"
#include "servers/architecture.hpp"
#include "servers/epoll_set.hpp"
#include "servers/request_buffers.hpp"

namespace ipcbench {

struct EpollConnection {
  sys::Fd fd;
  RequestBuffers buffers;
  // Input may be waiting: set by an EPOLLIN edge, cleared once a read finds the socket empty.
  // Kept across events because a read stopped by backpressure leaves input behind it, and
  // no new edge will come for that.
  bool readable = false;
  bool hung_up = false;  // EPOLLRDHUP: the EOF behind the last bytes raises no edge of its own
};

// Reads what the kernel holds, answers it and writes what the socket takes, until the read
// or the write would block; false when the connection is finished (peer gone, error,
// refused request written). `reading` is false while the server stops: answered requests
// are written, nothing new is read. A read shorter than the space offered emptied the
// socket, and the next bytes to arrive raise a new edge, so it ends the reading without a
// second recv to see EAGAIN. Nothing is read (and no buffer allocated) for a connection
// whose events have only said it is writable.
template <Protocol P>
bool pump_connection(EpollConnection& c, P& protocol, ServerCounters& counters, bool reading = true) {
  RequestBuffers& buffers = c.buffers;
  const int fd = c.fd.get();
  for (;;) {
    bool peer_done = false;
    const std::span<std::byte> space = reading && c.readable ? buffers.read_space() : std::span<std::byte>{};
    if (!space.empty()) {
      const ssize_t n = ::recv(fd, space.data(), space.size(), 0);
      if (n > 0) {
        buffers.received(static_cast<std::size_t>(n));
        c.readable = c.hung_up || static_cast<std::size_t>(n) == space.size();
      } else if (n == 0) {
        peer_done = true;
      } else if (errno == EAGAIN) {
        c.readable = false;
      } else if (errno != EINTR) {
        return false;
      }
      const bool was_closing = buffers.closing();
      if (!buffers.answer_all(protocol) && !was_closing) counters.on_refuse();
    }
    for (std::span<const std::byte> unsent = buffers.unsent(); !unsent.empty(); unsent = buffers.unsent()) {
      const ssize_t n = ::send(fd, unsent.data(), unsent.size(), MSG_NOSIGNAL);
      if (n > 0) {
        buffers.sent(static_cast<std::size_t>(n));
      } else if (errno == EAGAIN) {
        return !peer_done;  // EPOLLOUT's edge resumes the write
      } else if (errno != EINTR) {
        return false;
      }
    }
    if (peer_done || buffers.closing() || !reading) return false;
    if (!c.readable || buffers.read_space().empty()) return true;
  }
}

template <Protocol P>
class EpollLoop {
 public:
  EpollLoop(const ServeContext& context, int listener, P& protocol)
      : context_(context), listener_(listener), protocol_(protocol) {
    epoll_.add(listener_, EPOLLIN | EPOLLET);
    epoll_.add(context_.stop_fd(), EPOLLIN);
  }

  // Serves until the stop descriptor is readable, then closes every connection.
  void run() {
    std::array<epoll_event, 256> events;
    bool stopping = false;
    const auto deadline_after_stop = [] { return std::chrono::steady_clock::now() + ServeContext::kStopGrace; };
    std::chrono::steady_clock::time_point deadline;
    while (!stopping || (open_ > 0 && std::chrono::steady_clock::now() < deadline)) {
      for (const epoll_event& event : epoll_.wait(events, stopping ? 10 : -1)) {
        const int fd = event.data.fd;
        if (fd == listener_) {
          if (!stopping) accept_all();
        } else if (fd == context_.stop_fd()) {
          if (!stopping) {
            stopping = true;
            deadline = deadline_after_stop();
            epoll_.remove(listener_);
            epoll_.remove(context_.stop_fd());
            finish_all();
          }
        } else if (EpollConnection* c = connection(fd)) {
          const std::uint32_t got = event.events;
          if (got & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->readable = true;
          if (got & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->hung_up = true;
          if (!pump_connection(*c, protocol_, context_.counters(), !stopping)) close(fd);
        }
      }
    }
    for (std::size_t fd = 0; fd < table_.size(); ++fd)
      if (table_[fd]) close(static_cast<int>(fd));
  }

 private:
  void accept_all() {
    for (sys::Fd fd = accept_connection(listener_); fd; fd = accept_connection(listener_)) {
      const int raw = fd.get();
      if (static_cast<std::size_t>(raw) >= table_.size()) table_.resize(static_cast<std::size_t>(raw) + 1);
      table_[static_cast<std::size_t>(raw)] = std::make_unique<EpollConnection>(EpollConnection{std::move(fd), {}, false, false});
      ++open_;
      context_.counters().on_accept();
      // Edge-triggered on both directions from the start: one registration, no re-arming.
      epoll_.add(raw, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
    }
  }

  // Stop: write what was answered, read nothing more; connections with nothing to write close now.
  void finish_all() {
    for (std::size_t fd = 0; fd < table_.size(); ++fd)
      if (table_[fd] && !pump_connection(*table_[fd], protocol_, context_.counters(), false))
        close(static_cast<int>(fd));
  }

  [[nodiscard]] EpollConnection* connection(int fd) noexcept {
    return static_cast<std::size_t>(fd) < table_.size() ? table_[static_cast<std::size_t>(fd)].get() : nullptr;
  }

  void close(int fd) noexcept {
    table_[static_cast<std::size_t>(fd)].reset();  // closing the descriptor also leaves the epoll set
    --open_;
    context_.counters().on_close();
  }

  const ServeContext& context_;
  int listener_;
  P& protocol_;
  EpollSet epoll_;
  std::vector<std::unique_ptr<EpollConnection>> table_;  // indexed by descriptor
  std::size_t open_ = 0;
};

}  // namespace ipcbench
