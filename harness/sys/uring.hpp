// Ring: the one owner of an io_uring instance, for the io_uring transport and the io_uring server.
#pragma once

#include <liburing.h>

#include <cerrno>
#include <system_error>

namespace ipcbench::sys {

class Ring {
 public:
  explicit Ring(unsigned entries) {
    // One thread submits and completions are processed only when it waits for them, instead
    // of interrupting it (Linux 6.1); older kernels refuse the flags and get a plain ring.
    int result = io_uring_queue_init(entries, &ring_, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
    if (result == -EINVAL) result = io_uring_queue_init(entries, &ring_, 0);
    if (result < 0) throw std::system_error(-result, std::generic_category(), "io_uring_queue_init");
  }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() { io_uring_queue_exit(&ring_); }

  [[nodiscard]] io_uring* get() noexcept { return &ring_; }

 private:
  io_uring ring_{};
};

}  // namespace ipcbench::sys
