// The ZeroMQ transports' cold code: contexts, sockets and their options, binding and connecting, waiting for the handshake, errors.
#include "transports/zeromq.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "harness/sys/io.hpp"
#include "harness/sys/private_name.hpp"

namespace ipcbench::zeromq {
namespace {

// Long enough for the I/O thread to write the close mark before the socket goes; a peer that
// is gone costs a closing side this much at most.
constexpr int kLingerMs = 100;
// How soon a connecting side tries again when its peer has not bound yet (libzmq: 100 ms).
constexpr int kReconnectMs = 5;
// ZMQ_MAXMSGSIZE bounds the handshake's commands too (READY and its metadata, about 30 B):
// a smaller limit would refuse every peer.
constexpr std::size_t kSmallestLimitBytes = 256;

// libzmq aborts the process (errno_assert) when it cannot make the epoll instance of a thread
// it starts, instead of failing the call; a process short of descriptors must fail the cell
// like any other set-up. So a side first checks that both sides' share is free: a context's
// mailboxes and pollers, the sockets' mailboxes, a monitor's two sockets, the connection and
// the listener's duplicate come to 10 per side.
constexpr int kDescriptorsForBothSides = 24;

void ensure_free_descriptors() {
  std::vector<sys::Fd> probe;
  probe.reserve(kDescriptorsForBothSides);
  while (probe.size() < kDescriptorsForBothSides) {
    sys::Fd fd(::eventfd(0, EFD_CLOEXEC));
    if (!fd)
      throw fmt::system_error(errno, "ZeroMQ needs {} free descriptors for the two sides' contexts and sockets",
                              kDescriptorsForBothSides);
    probe.push_back(std::move(fd));
  }
}

// One socket's events, read through an inproc PAIR socket: made before the bind or connect it
// is to watch, so that it sees every event of it.
class Monitor {
 public:
  Monitor(void* context, void* socket, int events) : watched_(socket) {
    if (::zmq_socket_monitor(socket, kAddress, events) != 0) throw_zmq_error("zmq_socket_monitor");
    reader_.reset(::zmq_socket(context, ZMQ_PAIR));
    if (!reader_ || ::zmq_connect(reader_.get(), kAddress) != 0) {
      stop();
      throw_zmq_error("connecting the ZeroMQ monitor");
    }
  }
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;
  ~Monitor() { stop(); }

  // True once `event` happened, false when the deadline passed first.
  [[nodiscard]] bool wait_for(int event, sys::Deadline deadline) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      zmq_pollitem_t item{reader_.get(), 0, ZMQ_POLLIN, 0};
      const int ready = ::zmq_poll(&item, 1, std::max<long>(0, left.count()));
      if (ready < 0 && ::zmq_errno() != EINTR) throw_zmq_error("zmq_poll on the ZeroMQ monitor");
      if (ready > 0 && next_event() == event) return true;
      if (ready == 0 && left.count() <= 0) return false;
    }
  }

 private:
  static constexpr const char* kAddress = "inproc://ipcbench-monitor";  // one per context at a time

  // An event is two frames: 2 B of event number and 4 B of value, then the endpoint's address.
  int next_event() {
    std::uint16_t event = 0;
    std::byte frame[6];
    if (::zmq_recv(reader_.get(), frame, sizeof frame, 0) >= 2) std::memcpy(&event, frame, sizeof event);
    int more = 0;
    std::size_t more_size = sizeof more;
    char address[256];
    while (::zmq_getsockopt(reader_.get(), ZMQ_RCVMORE, &more, &more_size) == 0 && more)
      (void)::zmq_recv(reader_.get(), address, sizeof address, 0);
    return event;
  }

  void stop() noexcept {
    (void)::zmq_socket_monitor(watched_, nullptr, 0);
    reader_.reset();
  }

  void* watched_;
  Socket reader_;
};

// "127.0.0.1" of "127.0.0.1:7007", "::1" of "[::1]:7007": the host as libzmq's filters take it.
std::string host_of(const sys::SocketAddress& address) {
  std::string text = address.to_string();
  text.erase(text.rfind(':'));
  if (text.starts_with('[')) text = text.substr(1, text.size() - 2);
  return text;
}

std::string tcp_address(const sys::SocketAddress& address) { return "tcp://" + address.to_string(); }

void allow_ipv6_for(void* socket, const sys::SocketAddress& address) {
  if (address.family() == AF_INET6) set_option(socket, ZMQ_IPV6, 1, "ZMQ_IPV6");
}

}  // namespace

[[noreturn]] void throw_zmq_error(std::string_view what) {
  throw fmt::system_error(::zmq_errno(), "{}", what);
}

void set_option(void* socket, int option, int value, std::string_view name) {
  if (::zmq_setsockopt(socket, option, &value, sizeof value) != 0) throw_zmq_error(fmt::format("zmq_setsockopt {}", name));
}

Socket make_socket(void* context, int type, std::size_t message_bytes) {
  Socket socket(::zmq_socket(context, type));
  if (!socket) throw_zmq_error(fmt::format("zmq_socket(type {})", type));
  const auto max_bytes = static_cast<std::int64_t>(std::max(message_bytes, kSmallestLimitBytes));
  if (::zmq_setsockopt(socket.get(), ZMQ_MAXMSGSIZE, &max_bytes, sizeof max_bytes) != 0)
    throw_zmq_error("zmq_setsockopt ZMQ_MAXMSGSIZE");
  set_option(socket.get(), ZMQ_LINGER, kLingerMs, "ZMQ_LINGER");
  set_option(socket.get(), ZMQ_RECONNECT_IVL, kReconnectMs, "ZMQ_RECONNECT_IVL");
  return socket;
}

Context make_context(int io_threads) {
  ensure_free_descriptors();
  Context context(::zmq_ctx_new(), [](void* c) { (void)::zmq_ctx_term(c); });
  if (!context.get()) throw_zmq_error("zmq_ctx_new");
  if (::zmq_ctx_set(context.get(), ZMQ_IO_THREADS, io_threads) != 0) throw_zmq_error("zmq_ctx_set ZMQ_IO_THREADS");
  return context;
}

void CloseSocket::operator()(void* socket) const noexcept { (void)::zmq_close(socket); }

void SendEmptyMessage::announce(void* socket) noexcept { (void)::zmq_send(socket, "", 0, ZMQ_DONTWAIT); }

void throw_error(int error, std::string_view call, std::size_t bytes) {
  if (error == ETERM) throw PeerClosed(fmt::format("{} of {} B: the ZeroMQ context was terminated", call, bytes));
  throw fmt::system_error(error, "{} of {} B", call, bytes);
}

void throw_wrong_size(int got_bytes, std::size_t expected_bytes) {
  if (got_bytes == 0) throw PeerClosed("the peer closed its ZeroMQ socket");
  throw ProtocolError(fmt::format("a {} B ZeroMQ message where {} B were expected", got_bytes, expected_bytes));
}

void wait_to_send(void* socket, std::size_t bytes) {
  zmq_pollitem_t item{socket, 0, ZMQ_POLLIN | ZMQ_POLLOUT, 0};
  for (;;) {
    if (::zmq_poll(&item, 1, -1) < 0) {
      if (::zmq_errno() == EINTR) continue;
      throw_error(::zmq_errno(), "zmq_poll before zmq_send", bytes);
    }
    if ((item.revents & ZMQ_POLLOUT) != 0) return;
    if ((item.revents & ZMQ_POLLIN) != 0) {
      std::byte unexpected[1];
      const int got = ::zmq_recv(socket, unexpected, sizeof unexpected, ZMQ_DONTWAIT);
      if (got >= 0) throw_wrong_size(got, bytes);  // no message is due while one waits to go
    }
  }
}

Endpoint bound(Context context, const std::string& address, std::size_t message_bytes) {
  Socket socket = make_socket(context.get(), ZMQ_PAIR, message_bytes);
  if (::zmq_bind(socket.get(), address.c_str()) != 0) throw_zmq_error(fmt::format("zmq_bind {}", address));
  return {std::move(context), std::move(socket)};
}

Endpoint connected(Context context, const std::string& address, std::size_t message_bytes) {
  Socket socket = make_socket(context.get(), ZMQ_PAIR, message_bytes);
  if (::zmq_connect(socket.get(), address.c_str()) != 0) throw_zmq_error(fmt::format("zmq_connect {}", address));
  return {std::move(context), std::move(socket)};
}

std::string private_ipc_address() {
  // An abstract name: "@" and the private name without its leading "/".
  return "ipc://@" + sys::private_ipc_name("zeromq").substr(1);
}

}  // namespace ipcbench::zeromq

namespace ipcbench {

ZeromqTcp::Listener::Listener(const sys::SocketAddress& address, const TransportSetup& setup)
    : socket_(sys::listen_tcp(address, SOMAXCONN)),
      address_(sys::SocketAddress::local_of(socket_.get())),
      message_bytes_(setup.payload_bytes) {}

zeromq::Endpoint ZeromqTcp::Listener::accept(sys::Deadline deadline, const std::optional<sys::SocketAddress>& only_from) {
  zeromq::Context context = zeromq::make_context(1);
  zeromq::Socket socket = zeromq::make_socket(context.get(), ZMQ_PAIR, message_bytes_);
  sys::Fd handed(::fcntl(socket_.get(), F_DUPFD_CLOEXEC, 0));
  if (!handed) throw fmt::system_error(errno, "dup of the listening socket on {}", address_.to_string());
  zeromq::set_option(socket.get(), ZMQ_USE_FD, handed.get(), "ZMQ_USE_FD");
  zeromq::allow_ipv6_for(socket.get(), address_);
  if (only_from) {
    const std::string host = zeromq::host_of(*only_from);
    if (::zmq_setsockopt(socket.get(), ZMQ_TCP_ACCEPT_FILTER, host.data(), host.size()) != 0)
      zeromq::throw_zmq_error(fmt::format("zmq_setsockopt ZMQ_TCP_ACCEPT_FILTER {}", host));
  }
  zeromq::Monitor monitor(context.get(), socket.get(), ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
  const std::string endpoint = zeromq::tcp_address(address_);
  if (::zmq_bind(socket.get(), endpoint.c_str()) != 0) zeromq::throw_zmq_error(fmt::format("zmq_bind {}", endpoint));
  (void)handed.release();  // the socket's listener closes it now
  if (!monitor.wait_for(ZMQ_EVENT_HANDSHAKE_SUCCEEDED, deadline))
    throw std::runtime_error(fmt::format("no ZeroMQ peer completed a handshake with {} in time", address_.to_string()));
  return {std::move(context), std::move(socket)};
}

zeromq::Endpoint ZeromqTcp::connect(const sys::SocketAddress& address, const TransportSetup& setup,
                                    std::chrono::milliseconds timeout) {
  zeromq::Context context = zeromq::make_context(1);
  zeromq::Socket socket = zeromq::make_socket(context.get(), ZMQ_PAIR, setup.payload_bytes);
  zeromq::allow_ipv6_for(socket.get(), address);
  zeromq::Monitor monitor(context.get(), socket.get(), ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
  const std::string endpoint = zeromq::tcp_address(address);
  if (::zmq_connect(socket.get(), endpoint.c_str()) != 0) zeromq::throw_zmq_error(fmt::format("zmq_connect {}", endpoint));
  if (!monitor.wait_for(ZMQ_EVENT_HANDSHAKE_SUCCEEDED, sys::deadline_in(timeout)))
    throw std::system_error(std::make_error_code(std::errc::timed_out),
                            fmt::format("no ZeroMQ handshake with {} within {}", address.to_string(), timeout));
  return {std::move(context), std::move(socket)};
}

}  // namespace ipcbench
