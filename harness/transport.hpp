// The Transport concept: what a mechanism provides so that the ping/pong loops can drive it.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ipcbench {

enum class Mode : std::uint8_t { thread, process, host };
enum class Placement : std::uint8_t { cross, same, none };
// How an endpoint waits for the peer: it decides what a second CPU buys.
enum class WaitKind : std::uint8_t { spin, yield, spin_yield, block, none };

std::string_view to_string(Mode mode) noexcept;
std::string_view to_string(Placement placement) noexcept;
std::string_view to_string(WaitKind wait) noexcept;

struct TransportInfo {
  std::string_view name;       // the CLI name, e.g. "shm-spin"
  std::string_view mechanism;  // one line for `ipcbench list`
  bool thread_mode = true;
  bool process_mode = true;
  std::size_t max_payload_bytes = 0;
  WaitKind wait = WaitKind::block;
  // Empty when the transport is built on this platform; otherwise why it is not.
  std::string_view unavailable_reason = {};

  [[nodiscard]] constexpr bool supports(Mode mode) const noexcept {
    return mode == Mode::thread ? thread_mode : mode == Mode::process ? process_mode : false;
  }
  // Two spinners on one CPU run one round trip per scheduler tick.
  [[nodiscard]] constexpr bool needs_two_cpus() const noexcept { return wait == WaitKind::spin; }
};

// What a transport is told when it is built, before any thread or fork.
struct TransportSetup {
  std::size_t payload_bytes = 0;
};

// One side of a conversation. send() carries the whole span to the peer; receive() fills the
// whole span from the peer. Both handle partial transfers and EINTR themselves, throw
// PeerClosed when the peer is gone and std::system_error on any other failure, and neither
// allocates. The span's size is the cell's payload size on every call.
template <class E>
concept Endpoint = std::movable<E> && requires(E& endpoint, std::span<std::byte> in, std::span<const std::byte> out) {
  endpoint.send(out);
  endpoint.receive(in);
};

// A mechanism between two sides. The constructor creates everything that must be shared
// (socketpair, listening socket, mapping) before the harness starts a thread or forks; then
// client() and server() are each called once, on the side that will use the endpoint, and
// possibly at the same time from two threads: each takes only its own members. In a forked
// child the rest of the object is dropped right after.
template <class T>
concept Transport = std::constructible_from<T, const TransportSetup&> && requires(T& transport) {
  { T::kInfo } -> std::convertible_to<TransportInfo>;
  { transport.client() } -> Endpoint;
  { transport.server() } -> Endpoint;
};

// A mechanism with no second side (memcpy): one thread plays both, through one endpoint
// whose send() also does the server's turn-around.
template <class T>
concept LoopbackTransport = std::constructible_from<T, const TransportSetup&> && requires(T& transport) {
  { T::kInfo } -> std::convertible_to<TransportInfo>;
  { transport.loopback() } -> Endpoint;
};

// A spinning transport names the variant of itself that yields, for when both sides share
// one CPU.
template <class T>
concept HasOneCpuVariant = Transport<T> && requires { typename T::OnOneCpu; } && Transport<typename T::OnOneCpu>;

}  // namespace ipcbench
