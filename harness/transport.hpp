// The shapes a transport can have (a pair, a socket, a loopback), and what each provides so that the harness can drive it.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "harness/sys/socket.hpp"

namespace ipcbench {

enum class Mode : std::uint8_t { thread, process, host };
enum class Placement : std::uint8_t { cross, same, none };
// How an endpoint waits for the peer: it decides what a second CPU buys. busy_poll: a
// descriptor made non-blocking and its call tried again at once until it moves bytes.
enum class WaitKind : std::uint8_t { spin, yield, spin_yield, block, none, busy_poll };
// The wait a run asks for (--wait): each transport's own, or busy-polling its descriptors,
// which only the descriptor transports that name a BusyPolled variant have.
enum class WaitPolicy : std::uint8_t { own, busy_poll };

std::string_view to_string(Mode mode) noexcept;
std::string_view to_string(Placement placement) noexcept;
std::string_view to_string(WaitKind wait) noexcept;
std::string_view to_string(WaitPolicy policy) noexcept;

// The cache lines a message and its signal move each way through shared memory: what the
// floor beside a spinning transport must move too, so that a ratio to it is harness cost.
struct CacheLines {
  std::size_t each_way = 1;
  bool shared = true;  // both directions in one line (then each_way is 1)
  friend constexpr bool operator==(CacheLines, CacheLines) = default;
};

// A limit the machine sets on a transport's largest message (posix-mq: a sysctl, an rlimit),
// and what sets it, so that a skip can say which knob to turn.
struct MachineLimit {
  std::size_t max_payload_bytes = 0;
  std::string_view set_by;
};

struct TransportInfo {
  std::string_view name;       // the CLI name, e.g. "shm-spin"
  std::string_view mechanism;  // one line for `ipcbench list`
  std::size_t max_payload_bytes = 0;
  // Read when it is asked for, since a sysctl can change between runs; none for most transports.
  MachineLimit (*machine_limit)() noexcept = nullptr;
  WaitKind wait = WaitKind::block;
  // Whether an endpoint notices its peer's end by itself (a closed descriptor, an announced
  // close). Where it cannot (a word or a semaphore in shared memory), only the supervisor's
  // deadline ends a wait for a peer that is gone.
  bool sees_peer_close = true;
  // Both sides must be threads of one process (ZeroMQ's inproc://): no process mode.
  bool threads_only = false;
  // For a transport that spins on shared memory: the lines a message of this size moves.
  CacheLines (*cache_lines)(std::size_t payload_bytes) = nullptr;

  // Two spinners on one CPU run one round trip per scheduler tick.
  [[nodiscard]] constexpr bool needs_two_cpus() const noexcept { return wait == WaitKind::spin; }
  // The machine's limit where it is below the transport's own maximum.
  [[nodiscard]] std::optional<MachineLimit> binding_machine_limit() const noexcept {
    if (!machine_limit) return std::nullopt;
    const MachineLimit limit = machine_limit();
    return limit.max_payload_bytes < max_payload_bytes ? std::optional(limit) : std::nullopt;
  }
  // The largest payload this machine lets the transport carry.
  [[nodiscard]] std::size_t max_payload_here() const noexcept {
    const auto limit = binding_machine_limit();
    return limit ? limit->max_payload_bytes : max_payload_bytes;
  }
};

// A BusyPolled variant's facts: its transport's, with the wait and the mechanism changed.
constexpr TransportInfo busy_polled(TransportInfo info, std::string_view mechanism) noexcept {
  info.wait = WaitKind::busy_poll;
  info.mechanism = mechanism;
  return info;
}

// What a transport is told when it is built.
struct TransportSetup {
  std::size_t payload_bytes = 0;  // the size of every message, framing included
};

// One side of a conversation. send() carries the whole span to the peer; receive() fills the
// whole span from the peer. Both handle partial transfers and EINTR themselves, throw
// PeerClosed when the peer is gone and std::system_error on any other failure, and neither
// allocates. The span's size is the cell's message size on every call.
template <class E>
concept ReliableEndpoint = std::movable<E> && requires(E& endpoint, std::span<std::byte> in, std::span<const std::byte> out) {
  endpoint.send(out);
  endpoint.receive(in);
};

// An endpoint that can lose a message (a datagram): try_receive() returns false when nothing
// came within kReplyTimeout. The harness resends the request and drops stale replies
// (loops.hpp), so the transport moves datagrams and nothing else.
template <class E>
concept LossyEndpoint = std::movable<E> && requires(E& endpoint, std::span<std::byte> in, std::span<const std::byte> out) {
  endpoint.send(out);
  { endpoint.try_receive(in) } -> std::same_as<bool>;
  { E::kReplyTimeout } -> std::convertible_to<std::chrono::milliseconds>;
};

template <class E>
concept Endpoint = ReliableEndpoint<E> || LossyEndpoint<E>;

// A pair: a mechanism that exists only between two sides made together in one address space
// (a pipe, a socketpair, a shared mapping). The constructor creates everything that must be
// shared before the harness starts a thread or forks; client() and server() are then called
// once each, on the side that will use the endpoint, possibly at the same time from two
// threads: each takes only its own members. In a forked child the rest is dropped at once.
template <class T>
concept PairTransport = std::constructible_from<T, const TransportSetup&> && requires(T& transport) {
  { T::kInfo } -> std::convertible_to<TransportInfo>;
  { transport.client() } -> Endpoint;
  { transport.server() } -> ReliableEndpoint;
};

// A socket transport is built from an address: a listening side that accepts and a connecting
// side that reaches it, so the same code runs between two threads, two processes or two
// hosts. The Listener is made before any thread or fork (port 0: the kernel picks one, and
// address() tells which); accept() takes the first peer from `only_from`'s host, if given,
// before the deadline, and throws when none came.
template <class T>
concept SocketTransport =
    std::constructible_from<typename T::Listener, const sys::SocketAddress&, const TransportSetup&> &&
    requires(typename T::Listener& listener, const sys::SocketAddress& address, const TransportSetup& setup,
             sys::Deadline deadline, const std::optional<sys::SocketAddress>& only_from, std::chrono::milliseconds timeout) {
      { T::kInfo } -> std::convertible_to<TransportInfo>;
      { listener.address() } -> std::convertible_to<sys::SocketAddress>;
      { listener.accept(deadline, only_from) } -> ReliableEndpoint;
      { T::connect(address, setup, timeout) } -> Endpoint;
    };

// A mechanism with no second side (memcpy): one thread plays both, through one endpoint
// whose send() also does the server's turn-around.
template <class T>
concept LoopbackTransport = std::constructible_from<T, const TransportSetup&> && requires(T& transport) {
  { T::kInfo } -> std::convertible_to<TransportInfo>;
  { transport.loopback() } -> ReliableEndpoint;
};

template <class T>
concept AnyTransport = PairTransport<T> || SocketTransport<T> || LoopbackTransport<T>;

// A spinning transport names the variant of itself that yields, for when both sides share
// one CPU.
template <class T>
concept HasOneCpuVariant = requires { typename T::OnOneCpu; } && AnyTransport<typename T::OnOneCpu>;

// A descriptor transport names the variant of itself that busy-polls its descriptors, run
// when a cell asks for WaitPolicy::busy_poll.
template <class T>
concept HasBusyPolledVariant = requires { typename T::BusyPolled; } && AnyTransport<typename T::BusyPolled>;

// The modes follow from the shape: a loopback runs in one thread, a pair between two threads
// or processes (threads only where kInfo says so), a socket transport also between hosts.
struct ModeSet {
  bool thread = false;
  bool process = false;
  bool host = false;
  [[nodiscard]] constexpr bool has(Mode mode) const noexcept {
    return mode == Mode::thread ? thread : mode == Mode::process ? process : host;
  }
};

template <AnyTransport T>
constexpr ModeSet modes_of() noexcept {
  if constexpr (LoopbackTransport<T>) return {true, false, false};
  else if constexpr (SocketTransport<T>) return {true, true, true};
  else return {true, !T::kInfo.threads_only, false};
}

template <AnyTransport T>
constexpr std::string_view shape_of() noexcept {
  if constexpr (LoopbackTransport<T>) return "loopback";
  else if constexpr (SocketTransport<T>) return "socket";
  else return "pair";
}

}  // namespace ipcbench
