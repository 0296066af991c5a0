// The control connection's blocking-with-deadline send and receive over a non-blocking socket.
#include "harness/host/control_channel.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <fmt/format.h>

#include "harness/sys/io.hpp"

namespace ipcbench {

ControlChannel::ControlChannel(sys::Fd socket)
    : socket_(std::move(socket)),
      peer_(sys::SocketAddress::peer_of(socket_.get())),
      local_(sys::SocketAddress::local_of(socket_.get())) {
  sys::set_nonblocking(socket_.get());
}

ControlChannel ControlChannel::connect(const sys::SocketAddress& server, std::chrono::milliseconds timeout) {
  return ControlChannel(sys::connect_within(server, SOCK_STREAM, timeout));
}

void ControlChannel::send(wire::FrameType type, std::string_view body, sys::Deadline deadline) {
  const std::string frame = wire::encode_control(type, body);
  std::size_t done = 0;
  while (done < frame.size()) {
    const ssize_t n = ::send(socket_.get(), frame.data() + done, frame.size() - done, sys::kNoSigpipe);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET) throw PeerClosed(fmt::format("{} closed the connection", peer_.to_string()));
    if (errno != EAGAIN && errno != EWOULDBLOCK) throw fmt::system_error(errno, "send to {}", peer_.to_string());
    if (!sys::wait_until(socket_.get(), POLLOUT, deadline))
      throw TimedOut(fmt::format("{} took no data in time", peer_.to_string()));
  }
}

wire::ControlFrame ControlChannel::receive(sys::Deadline deadline, const std::function<void()>& while_waiting) {
  constexpr auto kSlice = std::chrono::milliseconds(100);
  for (;;) {
    if (auto frame = decoder_.next()) return *frame;
    const std::span<std::byte> space = decoder_.space();
    const ssize_t n = ::recv(socket_.get(), space.data(), space.size(), 0);
    if (n > 0) {
      decoder_.commit(static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) throw PeerClosed(fmt::format("{} closed the connection", peer_.to_string()));
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) throw PeerClosed(fmt::format("{} reset the connection", peer_.to_string()));
    if (errno != EAGAIN && errno != EWOULDBLOCK) throw fmt::system_error(errno, "recv from {}", peer_.to_string());
    for (;;) {
      const sys::Deadline slice = while_waiting ? std::min(deadline, sys::deadline_in(kSlice)) : deadline;
      if (sys::wait_until(socket_.get(), POLLIN, slice)) break;
      if (slice == deadline) throw TimedOut(fmt::format("{} sent no whole frame in time", peer_.to_string()));
      while_waiting();
    }
  }
}

}  // namespace ipcbench
