// select: TCP loopback, non-blocking sockets, both sides wait in select().
#pragma once

#include <sys/select.h>

#include <cerrno>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

#include "transports/tcp_loopback.hpp"

namespace ipcbench {

class SelectWait {
 public:
  static constexpr std::string_view kName = "select";
  static constexpr std::string_view kMechanism = "TCP loopback, non-blocking sockets, both sides wait in select()";
  static constexpr bool kNonblocking = true;

  explicit SelectWait(int socket) : socket_(socket) {
    if (socket >= FD_SETSIZE)
      throw std::runtime_error(fmt::format("select() cannot wait on fd {}: it is not below FD_SETSIZE ({})", socket, FD_SETSIZE));
  }
  void readable() { wait(false); }
  void writable() { wait(true); }

 private:
  void wait(bool for_write) {
    fd_set set;
    FD_ZERO(&set);
    FD_SET(socket_, &set);
    const int ready = ::select(socket_ + 1, for_write ? nullptr : &set, for_write ? &set : nullptr, nullptr, nullptr);
    if (ready < 0 && errno != EINTR) [[unlikely]] tcp::throw_wait_error(errno, "select", socket_);
  }

  int socket_;
};

// Non-blocking TCP_NODELAY sockets over 127.0.0.1; receive() blocks in select() on its one
// socket before each read, send() only when the socket buffer is full. Limits: the socket's
// descriptor must be below FD_SETSIZE (1024); payloads up to 1 MiB (a declared, tested limit).
using Select = TcpLoopback<SelectWait>;

}  // namespace ipcbench
