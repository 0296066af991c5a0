// Announcing: a handle whose owner tells the peer it is going before it lets the handle go.
#pragma once

#include <utility>

#include "harness/sys/fd.hpp"

namespace ipcbench::sys {

// An eventfd has no other end, a UDP socket no connection and a message queue no closing
// side: the peer of one that closes learns of it only if it is told (an end-of-stream mark, an
// empty datagram, an empty message). Handle is movable, tests true while it holds something
// and has get(); Announce is a policy with `static void announce(H handle) noexcept`, called
// once with get() before the handle goes.
template <class Handle, class Announce>
class Announcing {
 public:
  explicit Announcing(Handle handle) noexcept : handle_(std::move(handle)) {}
  Announcing(Announcing&&) noexcept = default;
  Announcing& operator=(Announcing&& other) noexcept {
    if (this != &other) {
      announce();
      handle_ = std::move(other.handle_);
    }
    return *this;
  }
  ~Announcing() { announce(); }

  [[nodiscard]] auto get() const noexcept { return handle_.get(); }

 private:
  void announce() noexcept {
    if (handle_) Announce::announce(handle_.get());
  }
  Handle handle_;
};

template <class Announce>
using AnnouncingFd = Announcing<Fd, Announce>;

}  // namespace ipcbench::sys
