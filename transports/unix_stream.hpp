// unix: a connected pair of Unix-domain stream sockets.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <span>
#include <utility>

#include "harness/sys/fd.hpp"
#include "harness/sys/io.hpp"
#include "harness/transport.hpp"

namespace ipcbench {

// socketpair(AF_UNIX, SOCK_STREAM), blocking read() and write() on one descriptor per side;
// a side blocks in read() until the whole message has arrived, which for big messages takes
// several chunks of the socket buffer. The peer's death is EOF or EPIPE: PeerClosed.
class UnixStream {
 public:
  static constexpr TransportInfo kInfo{
      .name = "unix",
      .mechanism = "Unix-domain stream socketpair, blocking read()/write()",
      .max_payload_bytes = std::size_t{1} << 20,
  };

  class Endpoint {
   public:
    explicit Endpoint(sys::Fd socket) noexcept : socket_(std::move(socket)) {}
    void send(std::span<const std::byte> message) { sys::write_exact(socket_.get(), message); }
    void receive(std::span<std::byte> message) { sys::read_exact(socket_.get(), message); }

   private:
    sys::Fd socket_;
  };

  struct BusyPolled;

  explicit UnixStream(const TransportSetup&) : UnixStream(false) {}
  [[nodiscard]] Endpoint client() noexcept { return Endpoint(std::move(sockets_.first)); }
  [[nodiscard]] Endpoint server() noexcept { return Endpoint(std::move(sockets_.second)); }

 protected:
  explicit UnixStream(bool nonblocking) : sockets_(sys::make_socketpair(SOCK_STREAM, nonblocking)) {}

 private:
  sys::FdPair sockets_;
};

// The same socketpair non-blocking, a read() or write() that would block tried again at once
// (--wait busy-poll).
struct UnixStream::BusyPolled : UnixStream {
  static constexpr TransportInfo kInfo =
      busy_polled(UnixStream::kInfo, "Unix-domain stream socketpair, non-blocking read()/write() tried again at once");
  explicit BusyPolled(const TransportSetup& /*setup*/) : UnixStream(true) {}
};

}  // namespace ipcbench
