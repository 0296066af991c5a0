// sched_setaffinity/sched_getcpu wrappers.
#include "harness/sys/affinity.hpp"

#include <sched.h>

#include <cerrno>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace ipcbench::sys {

void pin_current_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  // pid 0 means the calling thread, not the whole process.
  if (::sched_setaffinity(0, sizeof(set), &set) != 0) throw fmt::system_error(errno, "sched_setaffinity(CPU {})", cpu);
}

void pin_current_thread(std::span<const int> cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) CPU_SET(cpu, &set);
  if (::sched_setaffinity(0, sizeof(set), &set) != 0) throw fmt::system_error(errno, "sched_setaffinity(CPUs {})", fmt::join(cpus, ","));
}

int current_cpu() noexcept { return ::sched_getcpu(); }

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) != 0) throw fmt::system_error(errno, "sched_getaffinity");
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

}  // namespace ipcbench::sys
