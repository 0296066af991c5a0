// Parsing, resolving and printing socket addresses.
#include "harness/sys/socket_address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

namespace ipcbench::sys {
namespace {

std::uint16_t parse_port(std::string_view text, std::string_view whole) {
  unsigned value = 0;
  if (text.empty() || text.size() > 5) throw std::invalid_argument(fmt::format("invalid port in '{}': expected 0..65535", whole));
  for (char c : text) {
    if (c < '0' || c > '9') throw std::invalid_argument(fmt::format("invalid port in '{}': expected 0..65535", whole));
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) throw std::invalid_argument(fmt::format("invalid port in '{}': expected 0..65535", whole));
  return static_cast<std::uint16_t>(value);
}

}  // namespace

SocketAddress SocketAddress::parse(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw std::invalid_argument(fmt::format("invalid address '{}': expected [IPV6]:PORT", text));
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      throw std::invalid_argument(fmt::format("invalid address '{}': expected HOST:PORT or [IPV6]:PORT", text));
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) throw std::invalid_argument(fmt::format("invalid address '{}': the host is empty", text));
  const std::uint16_t number = parse_port(port, text);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string host_text(host);
  if (const int error = ::getaddrinfo(host_text.c_str(), nullptr, &hints, &found); error != 0)
    throw std::invalid_argument(fmt::format("cannot resolve '{}': {}", host_text,
                                            error == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(error)));
  SocketAddress address = from(found->ai_addr, found->ai_addrlen).with_port(number);
  ::freeaddrinfo(found);
  return address;
}

SocketAddress SocketAddress::loopback(std::uint16_t port) noexcept {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(port);
  v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return from(reinterpret_cast<const sockaddr*>(&v4), sizeof v4);
}

SocketAddress SocketAddress::from(const sockaddr* address, socklen_t length) noexcept {
  SocketAddress result;
  result.length_ = std::min<socklen_t>(length, sizeof result.storage_);
  std::memcpy(&result.storage_, address, result.length_);
  return result;
}

SocketAddress SocketAddress::local_of(int fd) {
  SocketAddress result;
  result.length_ = sizeof result.storage_;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&result.storage_), &result.length_) != 0)
    throw fmt::system_error(errno, "getsockname(fd {})", fd);
  return result;
}

SocketAddress SocketAddress::peer_of(int fd) {
  SocketAddress result;
  result.length_ = sizeof result.storage_;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&result.storage_), &result.length_) != 0)
    throw fmt::system_error(errno, "getpeername(fd {})", fd);
  return result;
}

std::uint16_t SocketAddress::port() const noexcept {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

SocketAddress SocketAddress::with_port(std::uint16_t port) const noexcept {
  SocketAddress copy = *this;
  if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&copy.storage_)->sin_port = htons(port);
  if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&copy.storage_)->sin6_port = htons(port);
  return copy;
}

bool SocketAddress::same_host(const SocketAddress& other) const noexcept {
  if (family() != other.family()) return false;
  if (family() == AF_INET)
    return reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(&other.storage_)->sin_addr.s_addr;
  if (family() == AF_INET6)
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(&other.storage_)->sin6_addr, sizeof(in6_addr)) == 0;
  return false;
}

std::string SocketAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = "?";
  if (family() == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text, sizeof text);
    return fmt::format("{}:{}", text, port());
  }
  if (family() == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text, sizeof text);
    return fmt::format("[{}]:{}", text, port());
  }
  return "(no address)";
}

}  // namespace ipcbench::sys
