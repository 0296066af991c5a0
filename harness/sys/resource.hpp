// The process's own limits and usage: the descriptor limit raised as far as allowed, CPU time, memory and threads.
#pragma once

#include <cstdint>

namespace ipcbench::sys {

// Raises RLIMIT_NOFILE's soft limit to its hard limit (no privilege needed); returns the
// soft limit now in force.
std::uint64_t raise_descriptor_limit() noexcept;
[[nodiscard]] std::uint64_t descriptor_limit() noexcept;

struct ProcessUsage {
  std::uint64_t cpu_ns = 0;  // user+system of every thread, the ended ones included
  std::uint64_t voluntary_switches = 0;
  std::uint64_t involuntary_switches = 0;
  std::uint64_t rss_bytes = 0;
  std::uint32_t threads = 0;
  std::uint32_t open_fds = 0;
};
// Reads getrusage(RUSAGE_SELF) and /proc/self; fields it cannot read (no /proc) stay 0.
[[nodiscard]] ProcessUsage process_usage();

}  // namespace ipcbench::sys
