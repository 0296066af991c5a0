// CPU time and context switches of the calling thread (getrusage RUSAGE_THREAD; on macOS see usage.cpp).
#pragma once

#include "harness/control_block.hpp"

namespace ipcbench {

struct ThreadUsage {
  std::uint64_t cpu_ns = 0;
  std::uint64_t voluntary_switches = 0;
  std::uint64_t involuntary_switches = 0;

  static ThreadUsage now() noexcept;
  // The usage between `start` and now, and the CPU the thread is on.
  [[nodiscard]] SideReport report_since() const noexcept;
};

}  // namespace ipcbench
