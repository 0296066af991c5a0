// Socket set-up shared by the socket transports and host mode: open, bind, listen, accept and connect within a deadline.
#pragma once

#include <sys/socket.h>

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

// send(2)'s flag that makes a write to a closed connection EPIPE instead of SIGPIPE. macOS has
// no MSG_NOSIGNAL: there every socket open_socket() and accept_cloexec() return carries
// SO_NOSIGPIPE instead, and a side's process ignores SIGPIPE besides (Child::fork).
#ifdef MSG_NOSIGNAL
inline constexpr int kNoSigpipe = MSG_NOSIGNAL;
#else
inline constexpr int kNoSigpipe = 0;
#endif

// socket(2), close-on-exec (and SO_NOSIGPIPE where that exists), of the address's family.
[[nodiscard]] Fd open_socket(const SocketAddress& address, int type);
// accept(2) of the next connection, close-on-exec (and non-blocking if asked): an invalid Fd
// and errno as accept(2) left it when there is none.
[[nodiscard]] Fd accept_cloexec(int listener, bool nonblocking = false) noexcept;
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
