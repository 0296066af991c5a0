// zeromq-ipc, zeromq-tcp and zeromq-inproc: a ZeroMQ PAIR socket on each side, over three of libzmq's transports.
#pragma once

#include <zmq.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "harness/sys/announcing_fd.hpp"
#include "harness/sys/fd.hpp"
#include "harness/sys/socket.hpp"
#include "harness/transport.hpp"

namespace ipcbench {
namespace zeromq {

// A context owns libzmq's threads: its I/O threads (they move a tcp:// or ipc:// message
// between the socket and the application thread) start with its first socket and inherit the
// CPUs of the thread that made it. A context does not survive a fork, so each side makes its
// own after the harness has forked. inproc:// needs no I/O thread: io_threads 0.
using Context = std::shared_ptr<void>;
[[nodiscard]] Context make_context(int io_threads);

struct CloseSocket {
  void operator()(void* socket) const noexcept;
};
using Socket = std::unique_ptr<void, CloseSocket>;

// A closing side sends an empty message, if the pipe has room (never blocks). A PAIR socket
// over tcp:// or ipc:// reconnects instead of reporting a lost peer, so this is how a peer
// learns that its partner ended.
struct SendEmptyMessage {
  static void announce(void* socket) noexcept;
};

// A socket of `type` that takes messages of message_bytes at most (a larger one drops its
// sender's connection), lingers long enough for a close mark to leave, and reconnects soon.
[[nodiscard]] Socket make_socket(void* context, int type, std::size_t message_bytes);
void set_option(void* socket, int option, int value, std::string_view name);
[[noreturn]] void throw_zmq_error(std::string_view what);  // zmq_errno() and what
[[noreturn]] void throw_error(int error, std::string_view call, std::size_t bytes);
[[noreturn]] void throw_wrong_size(int got_bytes, std::size_t expected_bytes);  // PeerClosed for the empty mark
// Waits until the socket can take a message. A message that arrives first is the peer's
// close mark (PeerClosed) or a breach of the ping-pong (ProtocolError): over inproc a PAIR
// socket whose peer closed has no pipe left to send into, and a blocking send would wait
// forever, with the close mark unread behind it.
void wait_to_send(void* socket, std::size_t bytes);

inline void send(void* socket, std::span<const std::byte> message) {
  while (::zmq_send(socket, message.data(), message.size(), ZMQ_DONTWAIT) < 0) {
    const int error = ::zmq_errno();
    if (error == EAGAIN) wait_to_send(socket, message.size());
    else if (error != EINTR) [[unlikely]] throw_error(error, "zmq_send", message.size());
  }
}

// zmq_recv returns the message's whole size even when it truncated it to the span.
inline void receive(void* socket, std::span<std::byte> message) {
  for (;;) {
    const int got = ::zmq_recv(socket, message.data(), message.size(), 0);
    if (got >= 0 && static_cast<std::size_t>(got) == message.size()) [[likely]] return;
    if (got >= 0) [[unlikely]] throw_wrong_size(got, message.size());
    const int error = ::zmq_errno();
    if (error != EINTR) [[unlikely]] throw_error(error, "zmq_recv", message.size());
  }
}

// One side: its PAIR socket and the context it lives in (inproc's two sides share one).
class Endpoint {
 public:
  Endpoint(Context context, Socket socket) noexcept : context_(std::move(context)), socket_(std::move(socket)) {}
  void send(std::span<const std::byte> message) { zeromq::send(socket_.get(), message); }
  void receive(std::span<std::byte> message) { zeromq::receive(socket_.get(), message); }

 private:
  Context context_;  // declared first: terminated only after the socket has closed
  sys::Announcing<Socket, SendEmptyMessage> socket_;
};

// A PAIR socket in `context` bound to, or connected to, `address` ("ipc://@name",
// "inproc://name"). It takes messages of message_bytes at most: a larger one drops its
// sender's connection.
[[nodiscard]] Endpoint bound(Context context, const std::string& address, std::size_t message_bytes);
[[nodiscard]] Endpoint connected(Context context, const std::string& address, std::size_t message_bytes);

// "ipc://@ipcbench-PID-RANDOM-zeromq": an abstract Unix socket, which leaves no file behind.
[[nodiscard]] std::string private_ipc_address();

}  // namespace zeromq

// Both sides' PAIR sockets over ipc://, an abstract Unix stream socket. zmq_send() hands the
// message to the context's I/O thread, which writes it to the socket; the peer's I/O thread
// reads it and wakes the receiving thread through its mailbox. Messages above 33 B (libzmq's
// very-small-message limit) are copied into a block libzmq allocates.
class ZeromqIpc {
 public:
  static constexpr TransportInfo kInfo{
      .name = "zeromq-ipc",
      .mechanism = "ZeroMQ PAIR sockets over ipc:// (abstract Unix socket), a context per side",
      .max_payload_bytes = std::size_t{1} << 20,
  };

  explicit ZeromqIpc(const TransportSetup& setup)
      : address_(zeromq::private_ipc_address()), message_bytes_(setup.payload_bytes) {}
  [[nodiscard]] zeromq::Endpoint client() { return zeromq::connected(zeromq::make_context(1), address_, message_bytes_); }
  [[nodiscard]] zeromq::Endpoint server() { return zeromq::bound(zeromq::make_context(1), address_, message_bytes_); }

 private:
  std::string address_;
  std::size_t message_bytes_;
};

// As zeromq-ipc over tcp://, the only one of the three that reaches another host. The
// listening socket is ipcbench's, made before the harness forks; the accepting side hands a
// duplicate of it to libzmq (ZMQ_USE_FD) in its own context.
struct ZeromqTcp {
  static constexpr TransportInfo kInfo{
      .name = "zeromq-tcp",
      .mechanism = "ZeroMQ PAIR sockets over tcp://, a context per side",
      .max_payload_bytes = std::size_t{1} << 20,
  };

  class Listener {
   public:
    Listener(const sys::SocketAddress& address, const TransportSetup& setup);
    [[nodiscard]] const sys::SocketAddress& address() const noexcept { return address_; }
    // The first peer whose ZeroMQ handshake succeeds before the deadline, from only_from's host
    // if given (libzmq closes connections from any other host unanswered).
    [[nodiscard]] zeromq::Endpoint accept(sys::Deadline deadline, const std::optional<sys::SocketAddress>& only_from);

   private:
    sys::Fd socket_;
    sys::SocketAddress address_;
    std::size_t message_bytes_;
  };

  // Returns once the ZeroMQ handshake with the listener succeeded; throws std::system_error
  // (timed out) naming the address when it did not within `timeout` (a closed port: libzmq
  // retries a refused connection rather than failing it).
  [[nodiscard]] static zeromq::Endpoint connect(const sys::SocketAddress& address, const TransportSetup& setup,
                                                std::chrono::milliseconds timeout);
};

// Both sides' PAIR sockets over inproc:// in one context: two lock-free pipes between two
// threads, each woken through its mailbox only when it sleeps. No I/O thread, no socket;
// it exists only inside one process, so it runs in thread mode only.
class ZeromqInproc {
 public:
  static constexpr TransportInfo kInfo{
      .name = "zeromq-inproc",
      .mechanism = "ZeroMQ PAIR sockets over inproc:// (one context, two threads)",
      .max_payload_bytes = std::size_t{1} << 20,
      .threads_only = true,
  };

  explicit ZeromqInproc(const TransportSetup& setup) : message_bytes_(setup.payload_bytes) {}
  [[nodiscard]] zeromq::Endpoint client() { return zeromq::connected(take_context(), kAddress, message_bytes_); }
  [[nodiscard]] zeromq::Endpoint server() { return zeromq::bound(take_context(), kAddress, message_bytes_); }

 private:
  inline static const std::string kAddress = "inproc://ipcbench";  // a name inside the one context
  // Made by whichever side asks first, after the harness forked the worker both threads run in,
  // and let go once both hold it: the last endpoint to close ends the context and its thread
  // (the worker never destroys this object; it ends with _exit).
  zeromq::Context take_context() {
    const std::lock_guard lock(mutex_);
    if (!context_) context_ = zeromq::make_context(0);
    zeromq::Context taken = context_;
    if (++sides_taken_ == 2) context_.reset();
    return taken;
  }

  std::mutex mutex_;
  zeromq::Context context_;
  int sides_taken_ = 0;
  std::size_t message_bytes_;
};

}  // namespace ipcbench
