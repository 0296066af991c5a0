// What a run asks for: the cells, and how each repetition of a cell is measured.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "harness/fault_injection.hpp"
#include "harness/transport.hpp"

namespace ipcbench {

class Clock;

struct CellSpec {
  std::string transport;
  Mode mode = Mode::thread;
  Placement placement = Placement::cross;
  std::size_t payload_bytes = 64;
};

struct PassPlan {
  std::chrono::nanoseconds duration = std::chrono::seconds(1);  // per timed pass
  std::optional<std::uint64_t> round_trips;                     // per timed pass, instead of duration
  std::uint64_t warmup_round_trips = 1000;                      // at most, and at most duration/10
  bool verify = false;
};

// A deliberate, documented slowdown for proving the regression gate: the client of one
// transport busy-waits this long after every reply.
struct InjectedDelay {
  std::string transport;
  std::uint64_t ns = 0;
};

struct RunSettings {
  PassPlan plan;
  std::array<int, 2> cpus{0, 1};  // client, server under `cross`; both on cpus[0] under `same`
  std::chrono::milliseconds peer_timeout{2000};
  InjectedDelay injected_delay;
  FaultInjection fault;  // tests only
  const Clock* clock = nullptr;
};

}  // namespace ipcbench
