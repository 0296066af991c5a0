// ipcbench_minimal: the smallest ping-pong loops we can write, with no harness code, as a yardstick for ipcbench.
//
// Usage: ipcbench_minimal MECHANISM CPUS SIZE ROUND_TRIPS [thread|process]
//   MECHANISM  tcp, udp, unix, pipe, posix-mq, eventfd, shm, shm-futex, boost-mq, io_uring, memcpy
//   CPUS       A (both sides on CPU A) or A,B (client on A, server on B)
//   SIZE       bytes each way, at least 8 (the sequence)
// Prints: MECHANISM mean_ns=... p50_ns=...
// Deliberately self-contained: if ipcbench agrees with this, ipcbench adds nothing of its own.
#include <cerrno>

#include "minimal.hpp"

namespace {

constexpr const char* kUsage =
    "usage: ipcbench_minimal tcp|udp|unix|pipe|posix-mq|eventfd|shm|shm-futex|boost-mq|io_uring|memcpy CPU[,CPU] SIZE ROUND_TRIPS [thread|process]\n";

// One line naming the value and what would have been valid.
[[noreturn]] void usage_error(const char* what, const char* value, const char* valid) {
  std::fprintf(stderr, "ipcbench_minimal: %s '%s' is not valid: %s\n", what, value, valid);
  std::exit(2);
}

long number(const char* what, const char* text, long least, const char* valid) {
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno != 0 || value < least) usage_error(what, text, valid);
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  minimal::Options options;
  options.mechanism = argv[1];
  const std::string cpus = argv[2];
  const std::size_t comma = cpus.find(',');
  constexpr const char* kCpu = "a CPU number, or two as A,B";
  options.client_cpu = static_cast<int>(number("CPUS", cpus.substr(0, comma).c_str(), 0, kCpu));
  options.server_cpu = comma == std::string::npos ? options.client_cpu
                                                  : static_cast<int>(number("CPUS", cpus.substr(comma + 1).c_str(), 0, kCpu));
  options.size = static_cast<std::size_t>(number("SIZE", argv[3], 8, "bytes each way, at least 8"));
  options.round_trips = number("ROUND_TRIPS", argv[4], 1, "a count of at least 1");
  if (argc == 6) {
    const std::string mode = argv[5];
    if (mode != "thread" && mode != "process") usage_error("mode", argv[5], "thread or process");
    options.mode = mode == "thread" ? minimal::Mode::thread : minimal::Mode::process;
  }
  const std::string& m = options.mechanism;
  minimal::Figures figures{};
  if (m == "tcp" || m == "udp" || m == "unix" || m == "pipe" || m == "posix-mq" || m == "eventfd")
    figures = minimal::run_descriptor_loop(options);
  else if (m == "shm" || m == "shm-futex" || m == "boost-mq")
    figures = minimal::run_shared_memory_loop(options);
  else if (m == "io_uring")
    figures = minimal::run_uring_loop(options);
  else if (m == "memcpy")
    figures = minimal::run_copy_loop(options);
  else
    usage_error("MECHANISM", argv[1], "tcp, udp, unix, pipe, posix-mq, eventfd, shm, shm-futex, boost-mq, io_uring or memcpy");
  std::printf("%s mean_ns=%.1f p50_ns=%.1f\n", m.c_str(), figures.mean_ns, figures.p50_ns);
  return 0;
}
