// ServerProcess: one architecture serving in a forked, pinned child, and the control socket through which the parent samples and stops it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "harness/sys/child.hpp"
#include "harness/sys/fd.hpp"
#include "harness/sys/socket_address.hpp"
#include "servers/architecture.hpp"
#include "servers/registry.hpp"

namespace ipcbench {

// The server process's own view of itself, taken by its stats thread when asked.
struct ServerSample {
  std::uint64_t cpu_ns = 0;  // user+system of every thread since the process started
  std::uint64_t voluntary_switches = 0;
  std::uint64_t involuntary_switches = 0;
  std::uint64_t rss_bytes = 0;
  std::uint32_t threads = 0;
  std::uint32_t open_fds = 0;
  std::uint64_t accepted = 0;
  std::uint64_t closed = 0;
  std::uint64_t refused = 0;
};

// Runs an architecture in the calling process until a stop: the listener, the stop eventfd,
// the stats thread answering `control` (-1: none; then stop_on_signals makes SIGINT and
// SIGTERM the stop). Calls on_listening with the bound address once connections can come.
// Returns the exit status; throws what set-up or the architecture threw.
int host_server(const ArchitectureEntry& architecture, const ServerSettings& settings, const sys::SocketAddress& listen,
                int control, const std::function<void(const sys::SocketAddress&)>& on_listening);

struct ControlMessage;

class ServerProcess {
 public:
  // Forks the server and returns once it listens; throws std::runtime_error with the
  // server's own reason when it could not, within `timeout`.
  ServerProcess(const ArchitectureEntry& architecture, const ServerSettings& settings, const sys::SocketAddress& listen,
                std::chrono::milliseconds timeout);

  [[nodiscard]] const sys::SocketAddress& address() const noexcept { return address_; }
  [[nodiscard]] pid_t pid() const noexcept { return child_->pid(); }
  [[nodiscard]] int pidfd() const noexcept { return child_->pidfd(); }
  // Throws std::runtime_error naming what happened to the server when it cannot answer.
  [[nodiscard]] ServerSample sample();
  // A graceful stop; empty when the server exited 0 within the timeout, else why not (and
  // then it was killed).
  [[nodiscard]] std::string stop();
  // Why the server has ended, if it has: "killed by SIGSEGV", "exited with status 1: ...".
  [[nodiscard]] std::optional<std::string> ended();

 private:
  [[nodiscard]] std::optional<ControlMessage> receive();
  [[nodiscard]] std::string describe_end();
  std::optional<sys::Child> child_;  // set once forked; optional only because the fork needs the control pair first
  sys::Fd control_;
  sys::SocketAddress address_;
  std::chrono::milliseconds timeout_;
  std::string last_error_;  // the text the server sent before it failed, if any
};

}  // namespace ipcbench
