// Creation helpers for Fd and FdPair; every failure names the syscall.
#include "harness/sys/fd.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <fmt/format.h>

namespace ipcbench::sys {

FdPair make_pipe(bool nonblocking) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0)) != 0) throw fmt::system_error(errno, "pipe2");
  return {Fd(fds[0]), Fd(fds[1])};
}

FdPair make_socketpair(int type) {
  int fds[2];
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) != 0) throw fmt::system_error(errno, "socketpair");
  return {Fd(fds[0]), Fd(fds[1])};
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) throw fmt::system_error(errno, "fcntl(O_NONBLOCK) on fd {}", fd);
}

}  // namespace ipcbench::sys
