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

EpollReadiness::EpollReadiness(int fd) : epoll_(::epoll_create1(EPOLL_CLOEXEC)), fd_(fd) {
  if (!epoll_) throw fmt::system_error(errno, "epoll_create1");
  epoll_event interest{};
  interest.events = events_;
  interest.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &interest) != 0) throw fmt::system_error(errno, "epoll_ctl(EPOLL_CTL_ADD) of fd {}", fd);
}

void EpollReadiness::change_interest(std::uint32_t events) {
  epoll_event change{};
  change.events = events;
  change.data.fd = fd_;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd_, &change) != 0) readiness_detail::throw_wait_error(errno, "epoll_ctl(EPOLL_CTL_MOD)", fd_);
  events_ = events;
}

}  // namespace ipcbench
