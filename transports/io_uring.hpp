// io_uring: a Unix stream socketpair whose every read and write is submitted through io_uring.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <memory>
#include <span>
#include <utility>

#include "harness/sys/fd.hpp"
#include "harness/sys/uring.hpp"
#include "harness/transport.hpp"

namespace ipcbench {
namespace io_uring_detail {

// One recv (send) at a time through the ring until the whole span has moved: a submission and
// a wait for its completion in one io_uring_enter, then another for a partial transfer. EOF,
// EPIPE and ECONNRESET are PeerClosed; EINTR is retried.
void receive_exact(io_uring* ring, int socket, std::span<std::byte> message);
void send_exact(io_uring* ring, int socket, std::span<const std::byte> message);

}  // namespace io_uring_detail

// The unix transport's socketpair, with recv and send prepared as submission queue entries
// instead of called: what io_uring costs over the plain system call when an operation is
// waited for at once (one in flight, so it shows the ring's overhead, not its batching). Each
// side makes its ring when it takes its endpoint, so rings are never shared across fork.
class IoUring {
 public:
  static constexpr TransportInfo kInfo{
      .name = "io_uring",
      .mechanism = "Unix stream socketpair, recv/send submitted through io_uring (liburing)",
      .max_payload_bytes = std::size_t{1} << 20,
  };

  class Endpoint {
   public:
    explicit Endpoint(sys::Fd socket) : socket_(std::move(socket)), ring_(std::make_unique<sys::Ring>(kRingEntries)) {}
    void send(std::span<const std::byte> message) { io_uring_detail::send_exact(ring_->get(), socket_.get(), message); }
    void receive(std::span<std::byte> message) { io_uring_detail::receive_exact(ring_->get(), socket_.get(), message); }

   private:
    static constexpr unsigned kRingEntries = 4;
    sys::Fd socket_;
    std::unique_ptr<sys::Ring> ring_;  // on the heap: the ring's rings point into it, and the endpoint moves
  };

  explicit IoUring(const TransportSetup&) : sockets_(sys::make_socketpair(SOCK_STREAM)) {}
  [[nodiscard]] Endpoint client() { return Endpoint(std::move(sockets_.first)); }
  [[nodiscard]] Endpoint server() { return Endpoint(std::move(sockets_.second)); }

 private:
  sys::FdPair sockets_;
};

}  // namespace ipcbench
