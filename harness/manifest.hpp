// The machine manifest that every result row carries: what ran, where, built how, timed with what.
#pragma once

#include <string>

namespace ipcbench {

class Clock;

struct Manifest {
  std::string run_id;
  std::string cpu_model;
  int cpu_count = 0;
  std::string kernel;
  std::string virtualization;
  std::string governor;
  std::string compiler;
  std::string compiler_flags;
  std::string build_type;
  std::string sanitizer;
  std::string ipcbench_version;
  std::string git_commit;
  std::string timer_source;
  double timer_overhead_ns = 0;
  std::string cpus;  // "A;B"
  std::string hostname;
  std::string config;  // the effective configuration as a command line; not sent to a host-mode peer

  static Manifest collect(const Clock& clock, int cpu_a, int cpu_b);
};

}  // namespace ipcbench
