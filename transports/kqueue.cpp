// KqueueReadiness's set-up and change of interest.
#include "transports/kqueue.hpp"

#include <fmt/format.h>

namespace ipcbench {
namespace {

short filter_of(Interest interest) noexcept { return static_cast<short>(interest == Interest::read ? EVFILT_READ : EVFILT_WRITE); }

}  // namespace

KqueueReadiness::KqueueReadiness(int fd) : kqueue_(::kqueue()), fd_(fd) {
  if (!kqueue_) throw fmt::system_error(errno, "kqueue");
  sys::set_cloexec(kqueue_.get());
  const auto ident = static_cast<uintptr_t>(fd);
  struct kevent changes[2];
  EV_SET(&changes[0], ident, EVFILT_READ, EV_ADD | EV_ENABLE, 0, 0, 0);
  EV_SET(&changes[1], ident, EVFILT_WRITE, EV_ADD | EV_DISABLE, 0, 0, 0);
  // With no room for events, a change that fails makes kevent() itself fail with its errno.
  if (::kevent(kqueue_.get(), changes, 2, nullptr, 0, nullptr) != 0)
    throw fmt::system_error(errno, "kevent(EV_ADD) of fd {}", fd);
}

int KqueueReadiness::interest_changes(Interest interest, struct kevent* changes) const noexcept {
  const auto ident = static_cast<uintptr_t>(fd_);
  const Interest other = interest == Interest::read ? Interest::write : Interest::read;
  EV_SET(&changes[0], ident, filter_of(interest), EV_ENABLE, 0, 0, 0);
  EV_SET(&changes[1], ident, filter_of(other), EV_DISABLE, 0, 0, 0);
  return 2;
}

}  // namespace ipcbench
