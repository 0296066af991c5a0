// The socket set-up every architecture shares: the listener with SO_REUSEPORT, accepting one connection.
#include "servers/architecture.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <system_error>

#include "harness/sys/socket.hpp"

namespace ipcbench {

sys::Fd listen_for_load(const sys::SocketAddress& address) {
  sys::Fd fd = sys::open_socket(address, SOCK_STREAM | SOCK_NONBLOCK);
  sys::set_socket_flag(fd.get(), SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR");
  sys::set_socket_flag(fd.get(), SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT");
  sys::bind_to(fd.get(), address);
  // The kernel caps the backlog at net.core.somaxconn; a thousand clients connecting at once
  // need more than the default 128 queued.
  if (::listen(fd.get(), SOMAXCONN) != 0)
    throw std::system_error(errno, std::generic_category(), "listen on " + address.to_string());
  return fd;
}

sys::Fd ServeContext::open_listener() const { return listen_for_load(address_); }

sys::Fd accept_connection(int listener, bool nonblocking) {
  const int flags = SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
  for (;;) {
    sys::Fd fd(::accept4(listener, nullptr, nullptr, flags));
    if (fd) {
      const int one = 1;
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return fd;
    }
    // A connection that was reset before it was accepted is the client's problem only.
    if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
    return {};
  }
}

}  // namespace ipcbench
