// Creation helpers for Fd and FdPair; every failure names the syscall.
#include "harness/sys/fd.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <fmt/format.h>

#include "harness/sys/platform.hpp"

namespace ipcbench::sys {

#if !IPCBENCH_SYS_ATOMIC_CLOEXEC
namespace {

// Where a pair cannot be made close-on-exec (and non-blocking) by the call that makes it: the
// flags set right after, before anything could fork.
FdPair flagged_after(const int (&fds)[2], bool nonblocking) {
  FdPair pair{Fd(fds[0]), Fd(fds[1])};
  for (const Fd* end : {&pair.first, &pair.second}) {
    set_cloexec(end->get());
    if (nonblocking) set_nonblocking(end->get());
  }
  return pair;
}

}  // namespace
#endif

FdPair make_pipe(bool nonblocking) {
  int fds[2];
#if IPCBENCH_SYS_ATOMIC_CLOEXEC
  if (::pipe2(fds, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0)) != 0) throw fmt::system_error(errno, "pipe2");
  return {Fd(fds[0]), Fd(fds[1])};
#else
  if (::pipe(fds) != 0) throw fmt::system_error(errno, "pipe");
  return flagged_after(fds, nonblocking);
#endif
}

FdPair make_socketpair(int type, bool nonblocking) {
  int fds[2];
#if IPCBENCH_SYS_ATOMIC_CLOEXEC
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0, fds) != 0)
    throw fmt::system_error(errno, "socketpair");
  return {Fd(fds[0]), Fd(fds[1])};
#else
  if (::socketpair(AF_UNIX, type, 0, fds) != 0) throw fmt::system_error(errno, "socketpair");
  return flagged_after(fds, nonblocking);
#endif
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) throw fmt::system_error(errno, "fcntl(O_NONBLOCK) on fd {}", fd);
}

void set_cloexec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) throw fmt::system_error(errno, "fcntl(FD_CLOEXEC) on fd {}", fd);
}

}  // namespace ipcbench::sys
