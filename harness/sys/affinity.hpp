// Pinning the calling thread to a CPU, and asking which CPUs exist and where we run.
#pragma once

#include <span>
#include <vector>

namespace ipcbench::sys {

// Whether this system can pin a thread to one CPU: sched_setaffinity on Linux,
// cpuset_setaffinity on FreeBSD. macOS cannot (its affinity tags are hints to group threads,
// not a placement), so there only placement `none` exists.
#if defined(__linux__) || defined(__FreeBSD__)
inline constexpr bool kCanPin = true;
#else
inline constexpr bool kCanPin = false;
#endif
inline constexpr const char* kSystemName =
#if defined(__linux__)
    "Linux";
#elif defined(__FreeBSD__)
    "FreeBSD";
#elif defined(__APPLE__)
    "macOS";
#else
    "this system";
#endif

void pin_current_thread(int cpu);          // throws std::system_error naming the CPU (ENOTSUP where !kCanPin)
// To a set of CPUs; the threads it starts afterwards inherit the set.
void pin_current_thread(std::span<const int> cpus);
[[nodiscard]] int current_cpu() noexcept;   // -1 if unknown
[[nodiscard]] std::vector<int> allowed_cpus();  // the CPUs this process may run on, ascending

}  // namespace ipcbench::sys
