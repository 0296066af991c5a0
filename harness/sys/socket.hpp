// Socket set-up shared by the socket transports and host mode: open, bind, listen, accept and connect within a deadline.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "harness/sys/fd.hpp"
#include "harness/sys/socket_address.hpp"

namespace ipcbench::sys {

using Deadline = std::chrono::steady_clock::time_point;
[[nodiscard]] inline Deadline deadline_in(std::chrono::milliseconds timeout) noexcept {
  return std::chrono::steady_clock::now() + timeout;
}

// socket(2) with SOCK_CLOEXEC, of the address's family.
[[nodiscard]] Fd open_socket(const SocketAddress& address, int type);
void set_socket_flag(int fd, int level, int option, std::string_view name);
void bind_to(int fd, const SocketAddress& address);
// A TCP socket listening on `address` (SO_REUSEADDR; port 0: the kernel chooses).
[[nodiscard]] Fd listen_tcp(const SocketAddress& address, int backlog);

// Waits until fd polls for `events` or the deadline passes; false on the deadline. EINTR
// does not end the wait early.
[[nodiscard]] bool wait_until(int fd, short events, Deadline deadline);

// Accepts the first connection from `only_from`'s host (any host when empty) before the
// deadline; connections from other hosts are closed unanswered. Throws std::runtime_error
// naming the listening address when none came in time.
[[nodiscard]] Fd accept_within(int listener, Deadline deadline, const std::optional<SocketAddress>& only_from = std::nullopt);

// A blocking socket of `type` connected to `address` within `timeout`; throws
// std::system_error naming the address (refused, unreachable) or std::runtime_error when
// the handshake did not finish in time.
[[nodiscard]] Fd connect_within(const SocketAddress& address, int type, std::chrono::milliseconds timeout);

}  // namespace ipcbench::sys
