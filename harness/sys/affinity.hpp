// Pinning the calling thread to a CPU, and asking which CPUs exist and where we run.
#pragma once

#include <span>
#include <vector>

namespace ipcbench::sys {

void pin_current_thread(int cpu);          // throws std::system_error naming the CPU
// To a set of CPUs; the threads it starts afterwards inherit the set.
void pin_current_thread(std::span<const int> cpus);
[[nodiscard]] int current_cpu() noexcept;   // -1 if unknown
[[nodiscard]] std::vector<int> allowed_cpus();  // the CPUs this process may run on, ascending

}  // namespace ipcbench::sys
