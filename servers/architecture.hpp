// ServerArchitecture: what every way of writing the load server is given and must do; ServeContext is what it is given.
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <functional>
#include <cstdint>
#include <string_view>
#include <vector>

#include "harness/sys/fd.hpp"
#include "harness/sys/socket_address.hpp"
#include "servers/http.hpp"
#include "servers/protocols.hpp"
#include "servers/workload.hpp"

namespace ipcbench {

struct ServerSettings {
  Workload workload = Workload::echo;
  std::vector<int> cpus;    // the process is pinned to these; reactors run one loop on each
  unsigned workers = 0;     // pool: worker threads (0: one per CPU of `cpus`, at least one)
  std::size_t http_body_bytes = 64;  // http: the static response's body
};

// Counted by every architecture, read by the server's stats thread: what tests and the soak
// check for leaks (every accepted connection closed) and abuse (requests refused).
struct ServerCounters {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> closed{0};
  std::atomic<std::uint64_t> refused{0};  // malformed requests, each answered and its connection closed
  void on_accept() noexcept { accepted.fetch_add(1, std::memory_order_relaxed); }
  // Release: whoever reads `closed` (acquire) also sees the descriptor and thread gone.
  void on_close() noexcept { closed.fetch_add(1, std::memory_order_release); }
  void on_refuse() noexcept { refused.fetch_add(1, std::memory_order_relaxed); }
};

// Every architecture, whatever its threads, keeps these rules: non-blocking sockets where it
// multiplexes, partial reads and writes resumed, many requests per connection, a client
// that vanishes (EOF, ECONNRESET, EPIPE) closes only its connection, and once stop_fd() is
// readable: stop accepting, answer what was already read, write it (within kStopGrace),
// close every connection and return. Once its threads, loops and descriptors exist, and
// before it first waits, it calls ready(): clients are let in from then on, and the server's
// idle sample (memory, threads, descriptors) is taken then, so that none of the
// architecture's own set-up is counted as the cost of a connection.
class ServeContext {
 public:
  ServeContext(int listener, const sys::SocketAddress& address, int stop_fd, const ServerSettings& settings,
               ServerCounters& counters, std::function<void()> on_ready) noexcept
      : listener_(listener),
        address_(address),
        stop_fd_(stop_fd),
        settings_(settings),
        counters_(counters),
        on_ready_(std::move(on_ready)) {}

  // Idempotent; an architecture with several loops calls it once all of them are set up.
  void ready() const {
    if (!announced_.exchange(true)) on_ready_();
  }
  [[nodiscard]] bool announced() const noexcept { return announced_.load(); }

  // Listening and non-blocking, with SO_REUSEPORT, owned by the server process.
  [[nodiscard]] int listener() const noexcept { return listener_; }
  // Another listener on the same port (SO_REUSEPORT): the kernel spreads new connections
  // over all of them. Non-blocking; the caller owns it.
  [[nodiscard]] sys::Fd open_listener() const;
  [[nodiscard]] int stop_fd() const noexcept { return stop_fd_; }
  [[nodiscard]] const ServerSettings& settings() const noexcept { return settings_; }
  [[nodiscard]] ServerCounters& counters() const noexcept { return counters_; }

  static constexpr auto kStopGrace = std::chrono::seconds(1);

 private:
  int listener_;
  const sys::SocketAddress& address_;
  int stop_fd_;
  const ServerSettings& settings_;
  ServerCounters& counters_;
  std::function<void()> on_ready_;
  mutable std::atomic<bool> announced_{false};
};

// A listening socket as every server process opens it.
[[nodiscard]] sys::Fd listen_for_load(const sys::SocketAddress& address);
// Accepts one pending connection, non-blocking and with TCP_NODELAY; an empty Fd when none
// is pending or the accept failed in a way that concerns only that connection. EMFILE and
// ENFILE also give an empty Fd (the caller's loop goes on; the peer sees its connect time
// out rather than the server dying).
[[nodiscard]] sys::Fd accept_connection(int listener, bool nonblocking = true);
// How long an architecture leaves its listener alone after accepting failed for want of
// descriptors or memory, rather than spin on a listener that stays readable.
inline constexpr std::chrono::milliseconds kAcceptBackoff{10};

template <class A>
concept ServerArchitecture = requires(const ServeContext& context, EchoProtocol& echo, KvProtocol& kv, HttpProtocol& http) {
  { A::kName } -> std::convertible_to<std::string_view>;
  { A::kDesign } -> std::convertible_to<std::string_view>;
  A::serve(context, echo);
  A::serve(context, kv);
  A::serve(context, http);
};

}  // namespace ipcbench
