// CPU pinning: sched_setaffinity/sched_getcpu on Linux, cpuset_setaffinity on FreeBSD, none on macOS.
#include "harness/sys/affinity.hpp"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <fmt/format.h>
#include <fmt/ranges.h>

#if defined(__FreeBSD__)
#include <sys/param.h>
#include <sys/cpuset.h>
#endif

namespace ipcbench::sys {

#if defined(__linux__)

namespace {
// pid 0 means the calling thread, not the whole process.
void set_affinity(const cpu_set_t& set, std::span<const int> cpus) {
  if (::sched_setaffinity(0, sizeof(set), &set) != 0) throw fmt::system_error(errno, "sched_setaffinity(CPUs {})", fmt::join(cpus, ","));
}
}  // namespace

void pin_current_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::sched_setaffinity(0, sizeof(set), &set) != 0) throw fmt::system_error(errno, "sched_setaffinity(CPU {})", cpu);
}

void pin_current_thread(std::span<const int> cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) CPU_SET(cpu, &set);
  set_affinity(set, cpus);
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

#elif defined(__FreeBSD__)

// CPU_WHICH_TID with id -1: the calling thread.
void pin_current_thread(int cpu) {
  cpuset_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::cpuset_setaffinity(CPU_LEVEL_WHICH, CPU_WHICH_TID, -1, sizeof(set), &set) != 0)
    throw fmt::system_error(errno, "cpuset_setaffinity(CPU {})", cpu);
}

void pin_current_thread(std::span<const int> cpus) {
  cpuset_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) CPU_SET(cpu, &set);
  if (::cpuset_setaffinity(CPU_LEVEL_WHICH, CPU_WHICH_TID, -1, sizeof(set), &set) != 0)
    throw fmt::system_error(errno, "cpuset_setaffinity(CPUs {})", fmt::join(cpus, ","));
}

int current_cpu() noexcept { return ::sched_getcpu(); }

std::vector<int> allowed_cpus() {
  cpuset_t set;
  CPU_ZERO(&set);
  if (::cpuset_getaffinity(CPU_LEVEL_WHICH, CPU_WHICH_PID, -1, sizeof(set), &set) != 0)
    throw fmt::system_error(errno, "cpuset_getaffinity");
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

#else

void pin_current_thread(int cpu) {
  throw fmt::system_error(ENOTSUP, "cannot pin to CPU {}: {} has no CPU pinning", cpu, kSystemName);
}

void pin_current_thread(std::span<const int> cpus) {
  throw fmt::system_error(ENOTSUP, "cannot pin to CPUs {}: {} has no CPU pinning", fmt::join(cpus, ","), kSystemName);
}

int current_cpu() noexcept { return -1; }

// Every online CPU: the scheduler may use any of them.
std::vector<int> allowed_cpus() {
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  std::vector<int> cpus;
  for (int cpu = 0; cpu < (online > 0 ? online : 1); ++cpu) cpus.push_back(cpu);
  return cpus;
}

#endif

}  // namespace ipcbench::sys
