// Whole-message blocking read and write loops.
#include "harness/sys/io.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fmt/format.h>

namespace ipcbench::sys {

void read_exact(int fd, std::span<std::byte> buffer) {
  std::size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + done, buffer.size() - done);
    if (n > 0) [[likely]] {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) throw PeerClosed(fmt::format("peer closed fd {} after {} of {} bytes", fd, done, buffer.size()));
    if (errno == EINTR || errno == EAGAIN) continue;
    if (errno == ECONNRESET) throw PeerClosed(fmt::format("connection reset on fd {}", fd));
    throw fmt::system_error(errno, "read(fd {})", fd);
  }
}

void write_exact(int fd, std::span<const std::byte> buffer) {
  std::size_t done = 0;
  while (done < buffer.size()) {
    // send() with MSG_NOSIGNAL would need a socket; SIGPIPE is ignored process-wide instead.
    const ssize_t n = ::write(fd, buffer.data() + done, buffer.size() - done);
    if (n > 0) [[likely]] {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) throw PeerClosed(fmt::format("peer closed fd {} while writing", fd));
    throw fmt::system_error(errno, "write(fd {})", fd);
  }
}

}  // namespace ipcbench::sys
