// The eventfd doorbell's system calls and cold paths.
#include "transports/eventfd.hpp"

#include <fcntl.h>

#include <cerrno>
#include <fmt/format.h>

#include "harness/sys/io.hpp"

namespace ipcbench::eventfd_detail {
namespace {

// Returns false on EINTR (retry), throws on anything else.
bool add(int fd, std::uint64_t value) {
  if (::write(fd, &value, sizeof value) == static_cast<ssize_t>(sizeof value)) [[likely]] return true;
  if (errno == EINTR) return false;
  throw fmt::system_error(errno, "write(eventfd {})", fd);
}

}  // namespace

sys::Fd open_eventfd() {
  sys::Fd fd(::eventfd(0, EFD_CLOEXEC));
  if (!fd) throw fmt::system_error(errno, "eventfd");
  return fd;
}

sys::Fd duplicate(const sys::Fd& fd) {
  sys::Fd copy(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
  if (!copy) throw fmt::system_error(errno, "fcntl(F_DUPFD_CLOEXEC) on eventfd {}", fd.get());
  return copy;
}

void ring(int fd) {
  while (!add(fd, 1)) {
  }
}

std::uint64_t take(int fd) {
  std::uint64_t count = 0;
  while (::read(fd, &count, sizeof count) != static_cast<ssize_t>(sizeof count)) {
    if (errno != EINTR) throw fmt::system_error(errno, "read(eventfd {})", fd);
  }
  return count;
}

void on_unusual_count(int fd, std::uint64_t count) {
  if (count == kClosedMark) throw PeerClosed(fmt::format("the eventfd peer closed (eventfd {})", fd));
  if (count == kClosedMark + 1) {
    while (!add(fd, kClosedMark)) {
    }
    return;
  }
  throw ProtocolError(fmt::format("eventfd {} counted {} messages where one was expected", fd, count));
}

}  // namespace ipcbench::eventfd_detail

