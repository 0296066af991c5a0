// Readiness: how a side waits for its one descriptor (select, poll, or the blocking call itself; epoll and kqueue in their own headers), behind one small interface.
#pragma once

#include <poll.h>
#include <sys/select.h>

#include <cerrno>
#include <concepts>
#include <cstdint>
#include <string_view>

#include "harness/sys/fd.hpp"

namespace ipcbench {

enum class Interest : std::uint8_t { read, write };

// A policy constructed from the descriptor it watches. wait(interest, timeout_ms) returns
// true once the descriptor is ready for it, or has an error or end of stream that the next
// I/O call will report; false when timeout_ms (-1: none) passed first. That false is the one
// way "not ready" is reported; a signal does not end the wait. kNonblocking says whether the
// descriptor is made non-blocking: a policy that waits in the I/O call itself is not.
template <class R>
concept Readiness = std::movable<R> && std::constructible_from<R, int> && requires(R& ready, Interest interest, int timeout_ms) {
  { R::kNonblocking } -> std::convertible_to<bool>;
  { ready.wait(interest, timeout_ms) } -> std::same_as<bool>;
};

namespace readiness_detail {
[[noreturn]] void throw_wait_error(int error, std::string_view call, int fd);
[[noreturn]] void throw_select_limit(int fd);
}  // namespace readiness_detail

// The descriptor stays blocking and the kernel waits inside recv() and send().
struct InCall {
  static constexpr bool kNonblocking = false;
  explicit InCall(int /*fd*/) noexcept {}
  bool wait(Interest /*interest*/, int /*timeout_ms*/) noexcept { return true; }
};

namespace readiness_detail {
// A zero-timeout poll() again and again until fd is ready or timeout_ms passed.
bool poll_until(int fd, Interest interest, int timeout_ms);
}  // namespace readiness_detail

// Busy-polling (--wait busy-poll): the descriptor is non-blocking and a recv() or send() that
// would block is tried again at once, so no side sleeps in the kernel and no wake-up is paid.
// Only a wait with a timeout (the UDP client's reply timeout) polls first, with poll() and a
// zero timeout, so that it can give up.
class BusyPoll {
 public:
  static constexpr bool kNonblocking = true;
  explicit BusyPoll(int fd) noexcept : fd_(fd) {}
  bool wait(Interest interest, int timeout_ms) {
    return timeout_ms < 0 || readiness_detail::poll_until(fd_, interest, timeout_ms);
  }

 private:
  int fd_;
};

class SelectReadiness {
 public:
  static constexpr bool kNonblocking = true;
  explicit SelectReadiness(int fd) : fd_(fd) {
    if (fd >= FD_SETSIZE) [[unlikely]] readiness_detail::throw_select_limit(fd);
  }
  bool wait(Interest interest, int timeout_ms) {
    for (;;) {
      fd_set set;
      FD_ZERO(&set);
      FD_SET(fd_, &set);
      timeval timeout{timeout_ms / 1000, timeout_ms % 1000 * 1000};
      const bool read = interest == Interest::read;
      const int ready = ::select(fd_ + 1, read ? &set : nullptr, read ? nullptr : &set, nullptr, timeout_ms < 0 ? nullptr : &timeout);
      if (ready >= 0) [[likely]] return ready > 0;
      if (errno != EINTR) readiness_detail::throw_wait_error(errno, "select", fd_);
    }
  }

 private:
  int fd_;
};

class PollReadiness {
 public:
  static constexpr bool kNonblocking = true;
  explicit PollReadiness(int fd) noexcept : fd_(fd) {}
  bool wait(Interest interest, int timeout_ms) {
    for (;;) {
      pollfd entry{fd_, static_cast<short>(interest == Interest::read ? POLLIN : POLLOUT), 0};
      const int ready = ::poll(&entry, 1, timeout_ms);
      if (ready > 0 && (entry.revents & POLLNVAL) != 0) [[unlikely]] readiness_detail::throw_wait_error(EBADF, "poll", fd_);
      if (ready >= 0) [[likely]] return ready > 0;
      if (errno != EINTR) readiness_detail::throw_wait_error(errno, "poll", fd_);
    }
  }

 private:
  int fd_;
};

}  // namespace ipcbench
