// The `pool` server: PoolLoop, the I/O thread that reads, cuts, hands requests to a WorkerPool and writes what comes back.
#include "servers/pool.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <exception>
#include <memory>
#include <system_error>
#include <vector>

#include "harness/sys/fd.hpp"
#include "servers/epoll_set.hpp"
#include "servers/request_buffers.hpp"
#include "servers/worker_pool.hpp"

namespace ipcbench {
namespace {

struct PoolConnection {
  sys::Fd fd;
  RequestBuffers buffers;
  std::size_t request_bytes = 0;  // the front request, while a worker has it
  std::exception_ptr error;       // what answering it threw; set by the worker
  bool with_worker = false;       // a worker owns `buffers` until it hands the connection back
  bool readable = true;           // the socket may hold bytes not read yet
  bool hung_up = false;           // the peer shut its side: a short read does not mean empty
  bool peer_done = false;         // EOF read: what came before it is answered, then close
};

template <Protocol P>
struct AnswerRequest {
  P* protocol;
  void operator()(PoolConnection* c) const noexcept {
    try {
      protocol->answer(c->buffers.in_data().first(c->request_bytes), c->buffers.output());
    } catch (...) {
      c->error = std::current_exception();
    }
  }
};

template <Protocol P>
class PoolLoop {
 public:
  PoolLoop(const ServeContext& context, P& protocol, std::size_t workers)
      : context_(context),
        protocol_(protocol),
        pool_(workers, AnswerRequest<P>{&protocol}) {
    epoll_.add(context_.listener(), EPOLLIN | EPOLLET);
    epoll_.add(context_.stop_fd(), EPOLLIN);
    epoll_.add(pool_.wake_fd(), EPOLLIN);
  }

  // Serves until the stop descriptor is readable, then closes every connection once no
  // worker holds it.
  void run() {
    std::array<epoll_event, 256> events;
    std::chrono::steady_clock::time_point deadline;
    while (!stopping_ || (open_ > 0 && std::chrono::steady_clock::now() < deadline)) {
      for (const epoll_event& event : epoll_.wait(events, stopping_ ? 10 : -1)) {
        const int fd = event.data.fd;
        if (fd == pool_.wake_fd()) {
          take_back();
        } else if (fd == context_.listener()) {
          if (!stopping_) accept_all();
        } else if (fd == context_.stop_fd()) {
          if (!stopping_) {
            deadline = std::chrono::steady_clock::now() + ServeContext::kStopGrace;
            stop();
          }
        } else if (PoolConnection* c = connection(fd)) {
          ready(*c, event.events);
        }
      }
    }
    // Past the grace: what a worker has comes back before its connection may close.
    abandoning_ = true;
    while (with_workers_ > 0) {
      pollfd wake{pool_.wake_fd(), POLLIN, 0};
      if (::poll(&wake, 1, -1) > 0) take_back();
    }
    for (std::size_t fd = 0; fd < table_.size(); ++fd)
      if (table_[fd]) close(*table_[fd]);
  }

 private:
  void accept_all() {
    for (sys::Fd fd = accept_connection(context_.listener()); fd; fd = accept_connection(context_.listener())) {
      const auto raw = static_cast<std::size_t>(fd.get());
      if (raw >= table_.size()) table_.resize(raw + 1);
      table_[raw] = std::make_unique<PoolConnection>();
      table_[raw]->fd = std::move(fd);
      ++open_;
      context_.counters().on_accept();
      epoll_.add(static_cast<int>(raw), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
    }
  }

  // Stop: nothing more is accepted or read; what was read is answered and written.
  void stop() {
    stopping_ = true;
    epoll_.remove(context_.listener());
    epoll_.remove(context_.stop_fd());
    for (std::size_t fd = 0; fd < table_.size(); ++fd)
      if (table_[fd] && !table_[fd]->with_worker && !advance(*table_[fd])) close(*table_[fd]);
  }

  void ready(PoolConnection& c, std::uint32_t events) {
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c.readable = true;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c.hung_up = true;
    // A connection with a worker is looked at when it comes back; the edge is remembered above.
    if (!c.with_worker && !advance(c)) close(c);
  }

  // Writes what is answered, hands the next whole request to a worker, reads when there is
  // none, until a request is handed off or the socket would block; false when the
  // connection is finished (peer gone, error, refusal written, stop and nothing to write).
  bool advance(PoolConnection& c) {
    for (;;) {
      if (!flush(c)) return false;
      if (!c.buffers.closing()) {
        const Frame frame = c.buffers.next_request(protocol_);
        if (frame.cut == Frame::Cut::whole || frame.cut == Frame::Cut::last) {
          hand_off(c, frame.bytes);
          return true;
        }
        if (frame.cut == Frame::Cut::malformed) {
          context_.counters().on_refuse();
          continue;  // write the refusal
        }
      }
      if (c.buffers.closing() || c.peer_done || stopping_) return !c.buffers.unsent().empty();
      const std::span<std::byte> space = c.buffers.read_space();
      // Too much unwritten (EPOLLOUT's edge resumes), or the socket is empty (EPOLLIN's does).
      if (space.empty() || !c.readable) return true;
      const ssize_t n = ::recv(c.fd.get(), space.data(), space.size(), 0);
      if (n > 0) {
        c.buffers.received(static_cast<std::size_t>(n));
        c.readable = c.hung_up || static_cast<std::size_t>(n) == space.size();
      } else if (n == 0) {
        c.peer_done = true;
      } else if (errno == EAGAIN) {
        c.readable = false;
      } else if (errno != EINTR) {
        return false;
      }
    }
  }

  // False on a write error; true when everything is written or the socket is full.
  static bool flush(PoolConnection& c) {
    for (std::span<const std::byte> unsent = c.buffers.unsent(); !unsent.empty(); unsent = c.buffers.unsent()) {
      const ssize_t n = ::send(c.fd.get(), unsent.data(), unsent.size(), MSG_NOSIGNAL);
      if (n > 0) c.buffers.sent(static_cast<std::size_t>(n));
      else if (errno == EAGAIN) return true;
      else if (errno != EINTR) return false;
    }
    return true;
  }

  void hand_off(PoolConnection& c, std::size_t request_bytes) {
    c.request_bytes = request_bytes;
    c.with_worker = true;
    ++with_workers_;
    pool_.submit(&c);
  }

  void take_back() {
    pool_.take_finished([this](PoolConnection* c) {
      c->with_worker = false;
      --with_workers_;
      if (c->error) std::rethrow_exception(c->error);
      c->buffers.consume(c->request_bytes);
      if (abandoning_ || !advance(*c)) close(*c);
    });
  }

  [[nodiscard]] PoolConnection* connection(int fd) noexcept {
    return static_cast<std::size_t>(fd) < table_.size() ? table_[static_cast<std::size_t>(fd)].get() : nullptr;
  }

  void close(PoolConnection& c) noexcept {
    table_[static_cast<std::size_t>(c.fd.get())].reset();  // closing the descriptor also leaves the epoll set
    --open_;
    context_.counters().on_close();
  }

  const ServeContext& context_;
  P& protocol_;
  EpollSet epoll_;
  std::vector<std::unique_ptr<PoolConnection>> table_;  // indexed by descriptor
  std::size_t open_ = 0;
  std::size_t with_workers_ = 0;  // connections whose request is with a worker
  bool stopping_ = false;
  bool abandoning_ = false;  // the stop's grace is over: what comes back is closed unwritten
  // Last: destroyed first, so every worker is joined before the connections it may hold go.
  WorkerPool<PoolConnection*, AnswerRequest<P>> pool_;
};

}  // namespace

template <Protocol P>
void PoolServer::serve(const ServeContext& context, P& protocol) {
  const ServerSettings& settings = context.settings();
  const std::size_t workers = settings.workers != 0 ? settings.workers : std::max<std::size_t>(1, settings.cpus.size());
  PoolLoop<P> loop(context, protocol, workers);
  context.ready();
  loop.run();
}

template void PoolServer::serve(const ServeContext&, EchoProtocol&);
template void PoolServer::serve(const ServeContext&, KvProtocol&);
template void PoolServer::serve(const ServeContext&, HttpProtocol&);

}  // namespace ipcbench
