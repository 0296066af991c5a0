// EpollReadiness's set-up and change of interest.
#include "transports/epoll.hpp"

#include <fmt/format.h>

namespace ipcbench {

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
