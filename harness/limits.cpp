// Cache-line ping-pong between two pinned threads.
#include "harness/limits.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "harness/sys/affinity.hpp"

namespace ipcbench {

double cache_line_round_trip_ns(int cpu_a, int cpu_b, int round_trips, int samples) {
  std::vector<double> per_sample;
  for (int s = 0; s < samples; ++s) {
    // Its own line: anything else on it would be false sharing, measured as the floor.
    alignas(64) std::atomic<std::uint64_t> line{0};
    std::thread pong([&] {
      sys::pin_current_thread(cpu_b);
      for (std::uint64_t i = 1; i < 2 * static_cast<std::uint64_t>(round_trips); i += 2) {
        while (line.load(std::memory_order_acquire) != i) {
        }
        line.store(i + 1, std::memory_order_release);
      }
    });
    // Not on the calling thread: its affinity is inherited by every worker forked later.
    std::chrono::steady_clock::duration elapsed{};
    std::thread ping([&] {
      sys::pin_current_thread(cpu_a);
      const auto start = std::chrono::steady_clock::now();
      for (std::uint64_t i = 1; i < 2 * static_cast<std::uint64_t>(round_trips); i += 2) {
        line.store(i, std::memory_order_release);
        while (line.load(std::memory_order_acquire) != i + 1) {
        }
      }
      elapsed = std::chrono::steady_clock::now() - start;
    });
    ping.join();
    pong.join();
    per_sample.push_back(static_cast<double>(std::chrono::nanoseconds(elapsed).count()) / round_trips);
  }
  // The median, like the transports' figures it is compared with; a minimum would flatter
  // the floor and inflate every ratio to it.
  std::sort(per_sample.begin(), per_sample.end());
  return per_sample[per_sample.size() / 2];
}

}  // namespace ipcbench
