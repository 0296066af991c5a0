// getrlimit/setrlimit, getrusage and /proc/self for the process's limits and usage.
#include "harness/sys/resource.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace ipcbench::sys {

std::uint64_t descriptor_limit() noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  return limit.rlim_cur;
}

std::uint64_t raise_descriptor_limit() noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  return descriptor_limit();
}

ProcessUsage process_usage() {
  ProcessUsage usage;
  rusage self{};
  if (::getrusage(RUSAGE_SELF, &self) == 0) {
    const auto ns = [](const timeval& t) {
      return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000 + static_cast<std::uint64_t>(t.tv_usec) * 1000;
    };
    usage.cpu_ns = ns(self.ru_utime) + ns(self.ru_stime);
    usage.voluntary_switches = static_cast<std::uint64_t>(self.ru_nvcsw);
    usage.involuntary_switches = static_cast<std::uint64_t>(self.ru_nivcsw);
  }
  {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    if (statm >> size >> resident) usage.rss_bytes = resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  }
  {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("Threads:", 0) == 0) usage.threads = static_cast<std::uint32_t>(std::stoul(line.substr(8)));
  }
  // /dev/fd lists the same on macOS and FreeBSD (there only with fdescfs mounted, else 0..2).
  std::error_code error;
  const char* fd_dir = std::filesystem::is_directory("/proc/self/fd", error) ? "/proc/self/fd" : "/dev/fd";
  for (auto it = std::filesystem::directory_iterator(fd_dir, error); !error && it != std::filesystem::directory_iterator();
       it.increment(error))
    ++usage.open_fds;
  if (usage.open_fds > 0) --usage.open_fds;  // the directory's own descriptor, open while it is read
  return usage;
}

}  // namespace ipcbench::sys
