// ipcbench_minimal: the smallest ping-pong loops we can write, with no harness code, as a yardstick for ipcbench.
//
// Usage: ipcbench_minimal MECHANISM CPUS SIZE ROUND_TRIPS [thread|process]
//   MECHANISM  one of kLoops below
//   CPUS       A (both sides on CPU A) or A,B (client on A, server on B)
//   SIZE       bytes each way, at least 8 (the sequence)
// Prints: MECHANISM mean_ns=... p50_ns=...
// Deliberately self-contained: if ipcbench agrees with this, ipcbench adds nothing of its own.
#include <cerrno>
#include <iterator>
#include <string_view>

#include "minimal.hpp"

namespace {

struct Loop {
  std::string_view mechanism;
  minimal::Figures (*run)(const minimal::Options&);
};
constexpr Loop kLoops[] = {
    {"tcp", minimal::run_descriptor_loop},        {"udp", minimal::run_descriptor_loop},
    {"unix", minimal::run_descriptor_loop},       {"pipe", minimal::run_descriptor_loop},
    {"posix-mq", minimal::run_descriptor_loop},   {"eventfd", minimal::run_descriptor_loop},
    {"shm", minimal::run_shared_memory_loop},     {"shm-futex", minimal::run_shared_memory_loop},
    {"boost-mq", minimal::run_shared_memory_loop}, {"io_uring", minimal::run_uring_loop},
    {"memcpy", minimal::run_copy_loop},           {"zeromq-ipc", minimal::run_zeromq_loop},
    {"zeromq-tcp", minimal::run_zeromq_loop},     {"zeromq-inproc", minimal::run_zeromq_loop},
    // The descriptors made non-blocking and a call that would block tried again at once.
    {"tcp-busy-poll", minimal::run_descriptor_loop},  {"udp-busy-poll", minimal::run_descriptor_loop},
    {"unix-busy-poll", minimal::run_descriptor_loop}, {"pipe-busy-poll", minimal::run_descriptor_loop},
};

std::string mechanisms(std::string_view separator) {
  std::string text;
  for (const Loop& loop : kLoops) text.append(text.empty() ? "" : separator).append(loop.mechanism);
  return text;
}

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
    std::fprintf(stderr, "usage: ipcbench_minimal %s CPU[,CPU] SIZE ROUND_TRIPS [thread|process]\n", mechanisms("|").c_str());
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
  const auto loop = std::find_if(std::begin(kLoops), std::end(kLoops), [&](const Loop& l) { return l.mechanism == m; });
  if (loop == std::end(kLoops)) usage_error("MECHANISM", argv[1], mechanisms(", ").c_str());
  const minimal::Figures figures = loop->run(options);
  std::printf("%s mean_ns=%.2f p50_ns=%.1f\n", m.c_str(), figures.mean_ns, figures.p50_ns);
  return 0;
}
