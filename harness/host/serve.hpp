// `ipcbench serve`: the host-mode server, one session after another until stopped, and what a session asks of a transport.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/manifest.hpp"
#include "harness/registry_entry.hpp"
#include "harness/sys/fd.hpp"
#include "harness/sys/socket_address.hpp"
#include "harness/wire.hpp"

namespace ipcbench {

class Clock;
class ControlChannel;

struct ServeSettings {
  sys::SocketAddress listen = sys::SocketAddress::loopback(7007);
  std::vector<const RegistryEntry*> transports;  // the ones served
  std::optional<int> cpu;                         // where each session's server side pins
  std::chrono::milliseconds peer_timeout{2000};
  std::optional<std::uint64_t> sessions;  // stop after this many
};

// One session, handed to the transport's serve function once its hello was accepted.
struct ServeRequest {
  const ServeSettings& settings;
  const wire::Hello& hello;
  ControlChannel& control;
  const Manifest& manifest;
  const Clock& clock;
  std::span<const int> close_in_child;       // the descriptors a session's child must not keep
  std::function<void()> while_waiting;       // called at every supervisor wake-up
};

struct ServeOutcome {
  bool ok = false;
  bool interrupted = false;
  std::string reason;
  std::uint64_t requests = 0;
};

// The server: its control socket is bound at construction, so that its address (with port
// 0, the kernel's choice) is known before it serves.
class HostServer {
 public:
  explicit HostServer(ServeSettings settings);
  [[nodiscard]] const sys::SocketAddress& address() const noexcept { return address_; }
  // Prints the listening line on stdout, then serves one client after another until
  // SIGINT/SIGTERM or settings.sessions; returns the exit status (0).
  int run(const Manifest& manifest, const Clock& clock);

 private:
  ServeSettings settings_;
  sys::Fd listener_;
  sys::SocketAddress address_;
};

}  // namespace ipcbench
