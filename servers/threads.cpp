// The `threads` server: the serving thread accepts and reaps; each connection is a blocking read, answer, write loop on its own thread.
#include "servers/threads.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <system_error>

#include "harness/sys/child.hpp"
#include "servers/connection_threads.hpp"
#include "servers/request_buffers.hpp"

namespace ipcbench {
namespace {

// How long the acceptor leaves the listener alone when accepting failed for want of a
// descriptor or memory: the listener stays readable, so polling it at once would spin.
constexpr int kAcceptBackoffMs = static_cast<int>(kAcceptBackoff.count());

template <Protocol P>
struct ConnectionTask {
  sys::Fd fd;
  P& protocol;
  ConnectionThreads& threads;
  ServerCounters& counters;
};

bool write_all(int fd, RequestBuffers& buffers) {
  for (std::span<const std::byte> unsent = buffers.unsent(); !unsent.empty(); unsent = buffers.unsent()) {
    const ssize_t n = ::send(fd, unsent.data(), unsent.size(), MSG_NOSIGNAL);
    if (n > 0) buffers.sent(static_cast<std::size_t>(n));
    else if (errno != EINTR) return false;
  }
  return true;
}

// Until the peer is done, an error, a refusal or a stop. Every reply is written before the
// next read, so read_space() is empty only once a refusal was written.
template <Protocol P>
void converse(int fd, P& protocol, const ConnectionThreads& threads, ServerCounters& counters) {
  RequestBuffers buffers;
  while (!threads.stopping() && !buffers.closing()) {
    const std::span<std::byte> space = buffers.read_space();
    const ssize_t n = ::recv(fd, space.data(), space.size(), 0);
    if (n == 0) return;
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    buffers.received(static_cast<std::size_t>(n));
    if (!buffers.answer_all(protocol)) counters.on_refuse();
    if (!write_all(fd, buffers)) return;
  }
}

template <Protocol P>
void* serve_connection(void* argument) noexcept {
  const std::unique_ptr<ConnectionTask<P>> task(static_cast<ConnectionTask<P>*>(argument));
  sys::name_current_thread("ipcb-conn");
  std::exception_ptr error;
  try {
    converse(task->fd.get(), task->protocol, task->threads, task->counters);
  } catch (...) {
    error = std::current_exception();
  }
  task->threads.finished(std::move(task->fd), std::move(error));
  return nullptr;
}

// Accepts every pending connection, each onto its own thread; false when accepting failed
// for a reason other than an empty queue.
template <Protocol P>
bool accept_all(int listener, P& protocol, ConnectionThreads& threads, ServerCounters& counters) {
  for (;;) {
    sys::Fd fd = accept_connection(listener, false);
    if (!fd) return errno == EAGAIN || errno == EWOULDBLOCK;
    counters.on_accept();
    const int raw = fd.get();
    auto task = std::make_unique<ConnectionTask<P>>(ConnectionTask<P>{std::move(fd), protocol, threads, counters});
    if (threads.start(raw, &serve_connection<P>, task.get())) {
      static_cast<void>(task.release());  // the thread owns it now
    } else {
      counters.on_close();  // no thread to be had (EAGAIN): this connection alone is closed
    }
  }
}

}  // namespace

template <Protocol P>
void ThreadsServer::serve(const ServeContext& context, P& protocol) {
  ServerCounters& counters = context.counters();
  ConnectionThreads threads(counters);
  bool backing_off = false;
  context.ready();
  while (!threads.error()) {
    pollfd fds[] = {{context.stop_fd(), POLLIN, 0}, {threads.wake_fd(), POLLIN, 0},
                    {backing_off ? -1 : context.listener(), POLLIN, 0}};
    const int n = ::poll(fds, 3, backing_off ? kAcceptBackoffMs : -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    if (fds[0].revents != 0) break;
    if (fds[1].revents != 0) threads.reap();
    backing_off = fds[2].revents != 0 && !accept_all(context.listener(), protocol, threads, counters);
  }
  threads.stop_reading();
  if (!threads.join_all(std::chrono::steady_clock::now() + ServeContext::kStopGrace)) threads.shut_all();
  threads.join_all(std::chrono::steady_clock::time_point::max());
  if (threads.error()) std::rethrow_exception(threads.error());
}

template void ThreadsServer::serve(const ServeContext&, EchoProtocol&);
template void ThreadsServer::serve(const ServeContext&, KvProtocol&);
template void ThreadsServer::serve(const ServeContext&, HttpProtocol&);

}  // namespace ipcbench
