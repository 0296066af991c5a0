// The `asio` server: the per-connection code is Boost.Asio's own idiom (async_read_some, async_write, use_awaitable), our buffers and protocols inside.
#include "servers/asio.hpp"

#include <fcntl.h>

// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <exception>
#include <list>
#include <system_error>

#include "harness/sys/fd.hpp"
#include "harness/sys/socket_address.hpp"
#include "servers/request_buffers.hpp"

namespace ipcbench {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Asio takes ownership of what it is given; the listener and the stop eventfd stay the process's.
sys::Fd duplicate(int fd) {
  sys::Fd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!copy) throw std::system_error(errno, std::generic_category(), "fcntl F_DUPFD_CLOEXEC");
  return copy;
}

// Asio owns a descriptor once assign() has not thrown; until then the Fd does.
template <class Socket>
void adopt(Socket& socket, const tcp& protocol, sys::Fd fd) {
  socket.assign(protocol, fd.get());
  static_cast<void>(fd.release());
}
void adopt(asio::posix::stream_descriptor& descriptor, sys::Fd fd) {
  descriptor.assign(fd.get());
  static_cast<void>(fd.release());
}

// What escaped a coroutine leaves io_context::run() on this thread, and so serve().
void rethrow(std::exception_ptr error) {
  if (error) std::rethrow_exception(error);
}

template <Protocol P>
class AsioLoop {
 public:
  AsioLoop(const ServeContext& context, P& protocol)
      : context_(context),
        protocol_(protocol),
        tcp_(sys::SocketAddress::local_of(context.listener()).family() == AF_INET6 ? tcp::v6() : tcp::v4()) {
    adopt(acceptor_, tcp_, duplicate(context_.listener()));
    adopt(stop_, duplicate(context_.stop_fd()));
  }

  // Serves until the stop descriptor is readable; returns once every coroutine has ended.
  void run() {
    asio::co_spawn(io_, accept_connections(), rethrow);
    asio::co_spawn(io_, stop_when_asked(), rethrow);
    io_.run();
  }

 private:
  struct Connection {
    explicit Connection(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    bool reading = false;  // its coroutine waits in a read, which the stop may cancel
  };
  using Connections = std::list<Connection>;

  // A readiness wait, then accept_connection until none is pending, rather than
  // async_accept: one way of accepting (TCP_NODELAY, EMFILE) for every architecture. Asio
  // re-arms the descriptor (EPOLL_CTL_MOD) for each wait, so a connection that came before
  // the wait is not missed.
  asio::awaitable<void> accept_connections() {
    boost::system::error_code error;
    for (;;) {
      co_await acceptor_.async_wait(tcp::acceptor::wait_read, asio::redirect_error(asio::use_awaitable, error));
      if (error || stopping_) co_return;
      for (sys::Fd fd = accept_connection(acceptor_.native_handle()); fd; fd = accept_connection(acceptor_.native_handle())) {
        const typename Connections::iterator connection = connections_.emplace(connections_.end(), io_);
        adopt(connection->socket, tcp_, std::move(fd));
        context_.counters().on_accept();
        asio::co_spawn(io_, serve_connection(connection), rethrow);
      }
    }
  }

  // Errors come back as codes, not exceptions: a reset ends this loop like an EOF, and ends
  // only this connection.
  asio::awaitable<void> serve_connection(typename Connections::iterator connection) {
    tcp::socket& socket = connection->socket;
    RequestBuffers buffers;
    boost::system::error_code error;
    while (!stopping_) {
      if (const std::span<std::byte> space = buffers.read_space(); !space.empty()) {
        connection->reading = true;
        const std::size_t bytes = co_await socket.async_read_some(asio::buffer(space.data(), space.size()),
                                                                  asio::redirect_error(asio::use_awaitable, error));
        connection->reading = false;
        if (error) break;
        buffers.received(bytes);
        if (!buffers.answer_all(protocol_)) context_.counters().on_refuse();
      }
      if (const std::span<const std::byte> unsent = buffers.unsent(); !unsent.empty()) {
        buffers.sent(co_await asio::async_write(socket, asio::buffer(unsent.data(), unsent.size()),
                                                asio::redirect_error(asio::use_awaitable, error)));
        if (error) break;
      }
      if (buffers.closing()) break;
    }
    connections_.erase(connection);
    context_.counters().on_close();
    if (stopping_ && connections_.empty()) grace_.cancel();
  }

  // Stop: close the acceptor, cancel every read (a writing coroutine finishes its write,
  // then sees stopping_), and after the grace close what is still writing.
  asio::awaitable<void> stop_when_asked() {
    boost::system::error_code error;
    co_await stop_.async_wait(asio::posix::descriptor_base::wait_read, asio::redirect_error(asio::use_awaitable, error));
    stopping_ = true;
    acceptor_.close(error);
    for (Connection& c : connections_)
      if (c.reading) c.socket.cancel(error);
    if (connections_.empty()) co_return;
    grace_.expires_after(ServeContext::kStopGrace);
    co_await grace_.async_wait(asio::redirect_error(asio::use_awaitable, error));
    for (Connection& c : connections_) c.socket.close(error);
  }

  const ServeContext& context_;
  P& protocol_;
  const tcp tcp_;
  asio::io_context io_{1};  // one thread runs it
  tcp::acceptor acceptor_{io_};
  asio::posix::stream_descriptor stop_{io_};
  asio::steady_timer grace_{io_};
  Connections connections_;  // destroyed before io_, which their sockets use
  bool stopping_ = false;
};

}  // namespace

template <Protocol P>
void AsioServer::serve(const ServeContext& context, P& protocol) {
  AsioLoop<P> loop(context, protocol);
  context.ready();
  loop.run();
}

template void AsioServer::serve(const ServeContext&, EchoProtocol&);
template void AsioServer::serve(const ServeContext&, KvProtocol&);
template void AsioServer::serve(const ServeContext&, HttpProtocol&);

}  // namespace ipcbench
