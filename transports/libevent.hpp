// libevent: TCP where each side is driven by its own libevent event_base.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "harness/sys/fd.hpp"
#include "harness/transport.hpp"
#include "transports/tcp.hpp"

namespace ipcbench {

// One side: a non-blocking socket, its event_base, a persistent read event and a write event.
class LibeventEndpoint {
 public:
  explicit LibeventEndpoint(sys::Fd socket);
  LibeventEndpoint(LibeventEndpoint&&) noexcept;
  LibeventEndpoint& operator=(LibeventEndpoint&&) noexcept;
  ~LibeventEndpoint();

  void send(std::span<const std::byte> message);
  void receive(std::span<std::byte> message);

 private:
  struct Loop;  // stays at one address: libevent holds it as the callbacks' argument
  std::unique_ptr<Loop> loop_;
};

// Non-blocking TCP_NODELAY sockets, each side running an event_base (epoll backend on
// Linux). receive() runs event_base_loop(EVLOOP_ONCE) until the read callback has collected
// the whole message; send() arms the write event and runs the loop until its callback has
// flushed it, as a callback-driven echo server does.
struct Libevent : TcpTransport<LibeventEndpoint> {
  static constexpr TransportInfo kInfo{
      .name = "libevent",
      .mechanism = "TCP, a libevent event_base with read/write callbacks on both sides",
      .max_payload_bytes = tcp::kMaxPayloadBytes,
  };
};

}  // namespace ipcbench
