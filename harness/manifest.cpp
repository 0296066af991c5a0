// Reads the machine manifest from /proc, /sys, uname and CPUID (sysctl for the CPU model where there is no /proc).
#include "harness/manifest.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fstream>

#include "harness/clock.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__APPLE__) || defined(__FreeBSD__)
#include <sys/sysctl.h>
#endif

namespace ipcbench {
namespace {

std::string first_line(const std::string& path, const std::string& fallback) {
  std::ifstream in(path);
  std::string line;
  return std::getline(in, line) && !line.empty() ? line : fallback;
}

std::string read_cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
#if defined(__APPLE__) || defined(__FreeBSD__)
  // No /proc/cpuinfo: the kernel's own name for the CPU.
#if defined(__APPLE__)
  const char* key = "machdep.cpu.brand_string";
#else
  const char* key = "hw.model";
#endif
  char model[256] = {};
  std::size_t length = sizeof model - 1;
  if (::sysctlbyname(key, model, &length, nullptr, 0) == 0 && model[0] != '\0') return model;
#endif
  return "unknown";
}

// CPUID says whether a hypervisor is present and, in leaf 0x40000000, which one.
std::string detect_virtualization() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 31))) return "none";
  __cpuid(0x40000000, a, b, c, d);
  char vendor[13] = {};
  std::memcpy(vendor, &b, 4);
  std::memcpy(vendor + 4, &c, 4);
  std::memcpy(vendor + 8, &d, 4);
  const std::string id(vendor);
  if (id == "KVMKVMKVM") return "kvm";
  if (id == "Microsoft Hv") return "hyperv";
  if (id == "VMwareVMware") return "vmware";
  if (id == "XenVMMXenVMM") return "xen";
  if (id == " lrpepyh  vr") return "parallels";
  if (id == "TCGTCGTCGTCG") return "qemu-tcg";
  return id.empty() ? "hypervisor" : "hypervisor (" + id + ")";
#else
  return "unknown";
#endif
}

}  // namespace

Manifest Manifest::collect(const Clock& clock, int cpu_a, int cpu_b) {
  Manifest m;
  m.run_id = fmt::format("{:%Y%m%dT%H%M%S}-{}", fmt::gmtime(std::time(nullptr)), ::getpid());
  m.cpu_model = read_cpu_model();
  m.cpu_count = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  utsname uts{};
  m.kernel = ::uname(&uts) == 0 ? fmt::format("{} {}", uts.sysname, uts.release) : "unknown";
  m.virtualization = detect_virtualization();
  m.governor = first_line(fmt::format("/sys/devices/system/cpu/cpu{}/cpufreq/scaling_governor", cpu_a), "unknown");
  m.compiler = IPCBENCH_COMPILER;
  m.compiler_flags = IPCBENCH_CXX_FLAGS;
  m.build_type = IPCBENCH_BUILD_TYPE;
  m.sanitizer = IPCBENCH_SANITIZER;
  m.ipcbench_version = IPCBENCH_VERSION;
  m.git_commit = IPCBENCH_GIT_COMMIT;
  m.timer_source = std::string(clock.source());
  m.timer_overhead_ns = clock.read_overhead_ns();
  m.cpus = fmt::format("{};{}", cpu_a, cpu_b);
  char host[256] = {};
  m.hostname = ::gethostname(host, sizeof host - 1) == 0 ? host : "unknown";
  return m;
}

}  // namespace ipcbench
