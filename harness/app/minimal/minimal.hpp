// ipcbench_minimal's few shared pieces: options, pinning, the two sides, the two passes. No harness code.
#pragma once

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace minimal {

[[noreturn]] inline void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

inline void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) die("sched_setaffinity");
}

enum class Mode { thread, process };

struct Options {
  std::string mechanism;
  int client_cpu = 0;
  int server_cpu = 0;
  std::size_t size = 64;
  long round_trips = 0;
  Mode mode = Mode::process;
  [[nodiscard]] bool one_cpu() const { return client_cpu == server_cpu; }
};

struct Figures {
  double mean_ns;  // a pass with no clock read per round trip
  double p50_ns;   // a pass with one clock read per round trip
};

// The first 8 bytes of a message carry the sequence; the server answers with them inverted
// and the client checks, as ipcbench does. All ones is the stop.
inline constexpr std::uint64_t kStop = ~std::uint64_t{0};
inline std::uint64_t header_of(const char* message) {
  std::uint64_t value;
  std::memcpy(&value, message, 8);
  return value;
}
inline void set_header(char* message, std::uint64_t value) { std::memcpy(message, &value, 8); }
inline void check_reply(const char* message, std::uint64_t sequence) {
  if (header_of(message) != ~sequence) {
    std::fprintf(stderr, "ipcbench_minimal: reply %llu does not answer request %llu\n",
                 static_cast<unsigned long long>(header_of(message)), static_cast<unsigned long long>(sequence));
    std::exit(1);
  }
}

// The same pointer, from where the compiler cannot trace it: what is read through it is loaded
// from memory. A loop reads each step's input through one, so that every copy it writes is
// made, as in ipcbench; otherwise the compiler carries words from one copy to the next in
// registers and the loop measures less than it says.
inline char* untraced(char* pointer) {
  asm("" : "+r"(pointer));
  return pointer;
}

// Warm-up, then a pass timed as a whole (mean), then a pass timed per round trip with one
// clock read each, the end of one round trip being the start of the next (p50), of at most
// kMaxSamples round trips so that the samples of a fast loop fit in memory.
inline constexpr long kMaxSamples = 2'000'000;
template <class RoundTrip>
Figures measure(long round_trips, RoundTrip&& round_trip) {
  using Clock = std::chrono::steady_clock;
  std::uint64_t sequence = 0;
  for (long i = 0; i < std::max(1000L, round_trips / 20); ++i) round_trip(sequence++);
  const auto start = Clock::now();
  for (long i = 0; i < round_trips; ++i) round_trip(sequence++);
  const double mean = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / static_cast<double>(round_trips);
  const long timed = std::min(round_trips, kMaxSamples);
  std::vector<double> samples(static_cast<std::size_t>(timed));
  auto before = Clock::now();
  for (auto& sample : samples) {
    round_trip(sequence++);
    const auto after = Clock::now();
    sample = std::chrono::duration<double, std::nano>(after - before).count();
    before = after;
  }
  std::nth_element(samples.begin(), samples.begin() + timed / 2, samples.end());
  return {mean, samples[static_cast<std::size_t>(timed / 2)]};
}

// serve() answers until the stop on the server's CPU, in a child process or a thread;
// client(sequence) is one round trip here on the client's CPU; stop() sends the stop.
template <class Serve, class Client, class Stop>
Figures ping_pong(const Options& options, Serve&& serve, Client&& client, Stop&& stop) {
  pid_t child = -1;
  std::thread server;
  if (options.mode == Mode::process) {
    const pid_t parent = getpid();
    child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
      // A client that dies (a lost datagram, a failed check) takes its server with it.
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
      pin(options.server_cpu);
      serve();
      _exit(0);
    }
  } else {
    server = std::thread([&] {
      pin(options.server_cpu);
      serve();
    });
  }
  pin(options.client_cpu);
  const Figures figures = measure(options.round_trips, client);
  stop();
  if (child > 0) {
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) die("server side");
  } else {
    server.join();
  }
  return figures;
}

Figures run_descriptor_loop(const Options& options);  // tcp, udp, unix, pipe, posix-mq, eventfd; the first four -busy-poll
Figures run_shared_memory_loop(const Options& options);  // shm, shm-futex, boost-mq
Figures run_uring_loop(const Options& options);  // io_uring
Figures run_copy_loop(const Options& options);  // memcpy
Figures run_zeromq_loop(const Options& options);  // zeromq-ipc, zeromq-tcp, zeromq-inproc

}  // namespace minimal
