// SocketAddress: an IPv4 or IPv6 address and port, parsed from "HOST:PORT" or "[V6]:PORT", printable in the same form.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ipcbench::sys {

class SocketAddress {
 public:
  // Resolves HOST (a name or a numeric address) and PORT (0..65535) to the first address
  // getaddrinfo gives; throws std::invalid_argument with one line naming the bad part.
  static SocketAddress parse(std::string_view host_and_port);
  static SocketAddress loopback(std::uint16_t port = 0) noexcept;  // 127.0.0.1:port
  // The local or the peer address of a socket; throws std::system_error.
  static SocketAddress local_of(int fd);
  static SocketAddress peer_of(int fd);
  static SocketAddress from(const sockaddr* address, socklen_t length) noexcept;

  [[nodiscard]] const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  [[nodiscard]] socklen_t length() const noexcept { return length_; }
  [[nodiscard]] int family() const noexcept { return storage_.ss_family; }
  [[nodiscard]] std::uint16_t port() const noexcept;
  [[nodiscard]] SocketAddress with_port(std::uint16_t port) const noexcept;
  // The same host, whatever the ports.
  [[nodiscard]] bool same_host(const SocketAddress& other) const noexcept;
  [[nodiscard]] std::string to_string() const;  // "127.0.0.1:7007", "[::1]:7007"

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

}  // namespace ipcbench::sys
