// EpollSet: the one owner of an epoll descriptor, with the three calls every epoll-driven server makes on it.
#pragma once

#include <sys/epoll.h>

#include <cerrno>
#include <cstdint>
#include <span>
#include <system_error>

#include "harness/sys/fd.hpp"

namespace ipcbench {

class EpollSet {
 public:
  EpollSet() : fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!fd_) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  }
  // Watches `fd` for `events`, the descriptor itself as the event's data.
  void add(int fd, std::uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    if (::epoll_ctl(fd_.get(), EPOLL_CTL_ADD, fd, &event) != 0)
      throw std::system_error(errno, std::generic_category(), "epoll_ctl ADD");
  }
  // Stops watching; a descriptor that is closed leaves the set by itself.
  void remove(int fd) noexcept { ::epoll_ctl(fd_.get(), EPOLL_CTL_DEL, fd, nullptr); }
  // The ready events, at most into.size(); none when the timeout (ms, -1: none) passed or a
  // signal interrupted the wait.
  [[nodiscard]] std::span<epoll_event> wait(std::span<epoll_event> into, int timeout_ms) {
    const int n = ::epoll_wait(fd_.get(), into.data(), static_cast<int>(into.size()), timeout_ms);
    if (n < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "epoll_wait");
    return into.first(n < 0 ? 0 : static_cast<std::size_t>(n));
  }

 private:
  sys::Fd fd_;
};

}  // namespace ipcbench
