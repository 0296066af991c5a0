// Fd: the one owner of a file descriptor.
#pragma once

#include <unistd.h>

#include <utility>

namespace ipcbench::sys {

class Fd {
 public:
  Fd() noexcept = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  // close() is never retried: on Linux the descriptor is gone even when it reports EINTR.
  ~Fd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Both ends of a pipe or socketpair, the simplest pair-of-endpoints type.
struct FdPair {
  Fd first;
  Fd second;
};

FdPair make_pipe(bool nonblocking = false);                      // close-on-exec
FdPair make_socketpair(int type, bool nonblocking = false);      // AF_UNIX, close-on-exec
void set_nonblocking(int fd);
void set_cloexec(int fd);

}  // namespace ipcbench::sys
