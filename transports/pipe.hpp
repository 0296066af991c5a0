// pipe: two anonymous pipes, one per direction.
#pragma once

#include <cstddef>
#include <span>
#include <utility>

#include "harness/sys/fd.hpp"
#include "harness/sys/io.hpp"
#include "harness/transport.hpp"

namespace ipcbench {

// Two pipes (O_CLOEXEC), blocking read() and write(); each side blocks in read() until the
// whole message has arrived. A message larger than the pipe buffer (64 KiB by default) crosses
// in several chunks, each one a wake-up. The peer's death is EOF or EPIPE: PeerClosed.
class Pipe {
 public:
  static constexpr TransportInfo kInfo{
      .name = "pipe",
      .mechanism = "two pipes, blocking read()/write()",
      .max_payload_bytes = std::size_t{1} << 20,
  };

  class Endpoint {
   public:
    Endpoint(sys::Fd read_end, sys::Fd write_end) noexcept
        : read_end_(std::move(read_end)), write_end_(std::move(write_end)) {}
    void send(std::span<const std::byte> message) { sys::write_exact(write_end_.get(), message); }
    void receive(std::span<std::byte> message) { sys::read_exact(read_end_.get(), message); }

   private:
    sys::Fd read_end_;
    sys::Fd write_end_;
  };

  struct BusyPolled;

  explicit Pipe(const TransportSetup&) : Pipe(false) {}
  [[nodiscard]] Endpoint client() noexcept { return {std::move(to_client_.first), std::move(to_server_.second)}; }
  [[nodiscard]] Endpoint server() noexcept { return {std::move(to_server_.first), std::move(to_client_.second)}; }

 protected:
  explicit Pipe(bool nonblocking) : to_server_(sys::make_pipe(nonblocking)), to_client_(sys::make_pipe(nonblocking)) {}

 private:
  sys::FdPair to_server_;  // first: read end, second: write end
  sys::FdPair to_client_;
};

// The same pipes non-blocking, a read() or write() that would block tried again at once, so
// neither side ever sleeps in the kernel (--wait busy-poll).
struct Pipe::BusyPolled : Pipe {
  static constexpr TransportInfo kInfo = busy_polled(Pipe::kInfo, "two pipes, non-blocking read()/write() tried again at once");
  explicit BusyPolled(const TransportSetup& /*setup*/) : Pipe(true) {}
};

}  // namespace ipcbench
