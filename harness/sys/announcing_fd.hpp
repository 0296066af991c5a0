// AnnouncingFd: a descriptor whose owner tells the peer it is going before it closes it.
#pragma once

#include <utility>

#include "harness/sys/fd.hpp"

namespace ipcbench::sys {

// An eventfd has no other end and a UDP socket no connection: the peer of one that closes
// learns of it only if it is told (an end-of-stream mark, an empty datagram). Announce is
// a policy with `static void announce(int fd) noexcept`, called once before the close.
template <class Announce>
class AnnouncingFd {
 public:
  explicit AnnouncingFd(Fd fd) noexcept : fd_(std::move(fd)) {}
  AnnouncingFd(AnnouncingFd&&) noexcept = default;
  AnnouncingFd& operator=(AnnouncingFd&& other) noexcept {
    if (this != &other) {
      announce();
      fd_ = std::move(other.fd_);
    }
    return *this;
  }
  ~AnnouncingFd() { announce(); }

  [[nodiscard]] int get() const noexcept { return fd_.get(); }

 private:
  void announce() noexcept {
    if (fd_) Announce::announce(fd_.get());
  }
  Fd fd_;
};

}  // namespace ipcbench::sys
