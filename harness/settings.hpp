// What a run asks for: the cells, and how each repetition of a cell is measured.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "harness/sys/socket_address.hpp"
#include "harness/transport.hpp"

namespace ipcbench {

class Clock;
struct Manifest;

// The key of a cell. A new dimension is a member here and a key column in schema.cpp.
struct CellSpec {
  std::string transport;
  Mode mode = Mode::thread;
  Placement placement = Placement::cross;
  std::size_t payload_bytes = 64;
  std::string server;  // host mode and load --connect: the server's HOST:PORT as given; empty otherwise
  WaitPolicy wait = WaitPolicy::own;
  // Load cells only (empty or 0 on ping-pong cells).
  std::string architecture{};
  std::string workload{};
  std::size_t connections = 0;
  std::optional<double> offered_rps{};  // 0: the closed loop (--rate max); fan-out: the paced rate, none for lockstep
  // Fan-out cells only (0 on the others).
  std::size_t subscribers = 0;
};

// A cell's row in the table and its name on the progress line: the transport, and the wait
// when the run chose one other than the transport's own.
inline std::string method_of(const CellSpec& cell) {
  return cell.wait == WaitPolicy::busy_poll ? cell.transport + " busy-poll" : cell.transport;
}

// The largest plan a run accepts, and a server takes from a hello: one definition for both.
inline constexpr std::chrono::hours kMaxPassDuration{1};
inline constexpr std::uint64_t kMaxPassRoundTrips = 1'000'000'000'000;
inline constexpr std::uint64_t kMaxWarmupRoundTrips = 1'000'000'000;

struct PassPlan {
  std::chrono::nanoseconds duration = std::chrono::seconds(1);  // per timed pass
  std::optional<std::uint64_t> round_trips;                     // per timed pass, instead of duration
  std::uint64_t warmup_round_trips = 1000;                      // at most, and at most duration/10
  bool verify = false;
};

struct RunSettings {
  PassPlan plan;
  std::array<int, 2> cpus{0, 1};  // client, server under `cross`; both on cpus[0] under `same`
  std::optional<int> host_cpu;    // host mode: the CPU the client pins to, if any
  std::chrono::milliseconds peer_timeout{2000};
  std::optional<sys::SocketAddress> server;  // host mode: where `ipcbench serve` listens
  int repetition = 1;                        // which repetition of its cell this is (the suite sets it)
  const Clock* clock = nullptr;
  const Manifest* manifest = nullptr;  // host mode: sent to the server in the hello
};

}  // namespace ipcbench
