// getrusage per thread.
#include "harness/usage.hpp"

#include <sys/resource.h>

#include "harness/sys/affinity.hpp"

namespace ipcbench {

ThreadUsage ThreadUsage::now() noexcept {
  rusage usage{};
  ::getrusage(RUSAGE_THREAD, &usage);
  const auto ns = [](const timeval& tv) {
    return static_cast<std::uint64_t>(tv.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(tv.tv_usec) * 1000u;
  };
  return {ns(usage.ru_utime) + ns(usage.ru_stime), static_cast<std::uint64_t>(usage.ru_nvcsw),
          static_cast<std::uint64_t>(usage.ru_nivcsw)};
}

SideReport ThreadUsage::report_since() const noexcept {
  const ThreadUsage end = now();
  return {end.cpu_ns - cpu_ns, end.voluntary_switches - voluntary_switches,
          end.involuntary_switches - involuntary_switches, sys::current_cpu(), 1};
}

}  // namespace ipcbench
