// The readiness policies' set-up and cold paths.
#include "transports/readiness.hpp"

#include <fmt/format.h>

#include <chrono>
#include <stdexcept>

namespace ipcbench {

namespace readiness_detail {

void throw_wait_error(int error, std::string_view call, int fd) { throw fmt::system_error(error, "{} on fd {}", call, fd); }

void throw_select_limit(int fd) {
  throw std::runtime_error(fmt::format("select() cannot wait on fd {}: it is not below FD_SETSIZE ({})", fd, FD_SETSIZE));
}

bool poll_until(int fd, Interest interest, int timeout_ms) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  pollfd entry{fd, static_cast<short>(interest == Interest::read ? POLLIN : POLLOUT), 0};
  for (;;) {
    const int ready = ::poll(&entry, 1, 0);
    if (ready > 0) {
      if ((entry.revents & POLLNVAL) != 0) throw_wait_error(EBADF, "poll", fd);
      return true;
    }
    if (ready < 0 && errno != EINTR) throw_wait_error(errno, "poll", fd);
    if (std::chrono::steady_clock::now() >= give_up) return false;
  }
}

}  // namespace readiness_detail

}  // namespace ipcbench
