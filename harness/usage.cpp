// getrusage per thread (RUSAGE_THREAD: Linux, FreeBSD); macOS's thread_info where it has none.
#include "harness/usage.hpp"

#include <sys/resource.h>

#if !defined(RUSAGE_THREAD) && defined(__APPLE__)
#include <mach/mach.h>
#endif

#include "harness/sys/affinity.hpp"

namespace ipcbench {
namespace {

std::uint64_t to_ns(std::uint64_t seconds, std::uint64_t microseconds) noexcept {
  return seconds * 1'000'000'000u + microseconds * 1000u;
}

}  // namespace

ThreadUsage ThreadUsage::now() noexcept {
  rusage usage{};
#if defined(RUSAGE_THREAD)
  ::getrusage(RUSAGE_THREAD, &usage);
  const std::uint64_t cpu_ns = to_ns(static_cast<std::uint64_t>(usage.ru_utime.tv_sec), static_cast<std::uint64_t>(usage.ru_utime.tv_usec)) +
                               to_ns(static_cast<std::uint64_t>(usage.ru_stime.tv_sec), static_cast<std::uint64_t>(usage.ru_stime.tv_usec));
#else
  // macOS: the thread's own CPU time from thread_info; it counts no context switches per
  // thread, so those are the whole process's (RUSAGE_SELF): in thread mode both sides' together.
  ::getrusage(RUSAGE_SELF, &usage);
  std::uint64_t cpu_ns = 0;
#if defined(__APPLE__)
  const mach_port_t thread = ::mach_thread_self();
  thread_basic_info_data_t info{};
  mach_msg_type_number_t count = THREAD_BASIC_INFO_COUNT;
  if (::thread_info(thread, THREAD_BASIC_INFO, reinterpret_cast<thread_info_t>(&info), &count) == KERN_SUCCESS)
    cpu_ns = to_ns(static_cast<std::uint64_t>(info.user_time.seconds), static_cast<std::uint64_t>(info.user_time.microseconds)) +
             to_ns(static_cast<std::uint64_t>(info.system_time.seconds), static_cast<std::uint64_t>(info.system_time.microseconds));
  ::mach_port_deallocate(::mach_task_self(), thread);
#endif
#endif
  return {cpu_ns, static_cast<std::uint64_t>(usage.ru_nvcsw), static_cast<std::uint64_t>(usage.ru_nivcsw)};
}

SideReport ThreadUsage::report_since() const noexcept {
  const ThreadUsage end = now();
  return {end.cpu_ns - cpu_ns, end.voluntary_switches - voluntary_switches,
          end.involuntary_switches - involuntary_switches, sys::current_cpu(), 1};
}

}  // namespace ipcbench
