// The placements a test may ask for on this system: cross and same pin the sides, which macOS cannot.
#pragma once

#include <vector>

#include "harness/sys/affinity.hpp"
#include "harness/transport.hpp"

namespace ipcbench::testing {

// cross and same where threads can be pinned, else none alone.
inline std::vector<Placement> placements() {
  return sys::kCanPin ? std::vector{Placement::cross, Placement::same} : std::vector{Placement::none};
}

// One side per CPU where there are two and pinning, same on one CPU, none without pinning.
inline Placement spread_placement(bool two_cpus) {
  if (!sys::kCanPin) return Placement::none;
  return two_cpus ? Placement::cross : Placement::same;
}

// Both sides on one CPU, or none without pinning.
inline Placement one_cpu_placement() { return sys::kCanPin ? Placement::same : Placement::none; }

}  // namespace ipcbench::testing
