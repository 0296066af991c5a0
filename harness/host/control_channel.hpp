// ControlChannel: the TCP connection of a host-mode session, carrying whole control frames, every wait bounded by a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string_view>

#include "harness/sys/fd.hpp"
#include "harness/sys/socket.hpp"
#include "harness/wire.hpp"

namespace ipcbench {

// A wait on the peer that reached its deadline.
class TimedOut : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ControlChannel {
 public:
  explicit ControlChannel(sys::Fd socket);
  // Throws std::system_error (refused, unreachable) or std::runtime_error (no answer in time).
  static ControlChannel connect(const sys::SocketAddress& server, std::chrono::milliseconds timeout);

  void send(wire::FrameType type, std::string_view body, sys::Deadline deadline);
  // The next whole control frame. Throws TimedOut, PeerClosed when the peer closed first,
  // ProtocolError (wire.hpp's decoder) on anything that is not a control frame.
  // while_waiting, if given, runs at least every 100 ms of the wait.
  [[nodiscard]] wire::ControlFrame receive(sys::Deadline deadline, const std::function<void()>& while_waiting = {});

  [[nodiscard]] int fd() const noexcept { return socket_.get(); }
  [[nodiscard]] const sys::SocketAddress& peer() const noexcept { return peer_; }
  [[nodiscard]] const sys::SocketAddress& local() const noexcept { return local_; }

 private:
  sys::Fd socket_;
  sys::SocketAddress peer_;
  sys::SocketAddress local_;
  wire::FrameDecoder decoder_;
};

}  // namespace ipcbench
