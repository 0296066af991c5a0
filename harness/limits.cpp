// Cache-line ping-pong between two pinned threads.
#include "harness/limits.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "harness/sys/affinity.hpp"

namespace ipcbench {
namespace {

struct alignas(64) Line {
  std::atomic<std::uint64_t> word{0};
};

// A message of k lines with its sequence word, and nothing around it (no copy, no check):
// the sender writes lines 1..k-1 of its side, then the signal word on line 0; the receiver
// waits for the signal, then reads lines 1..k-1.
void send_lines(std::vector<Line>& side, std::uint64_t value) noexcept {
  for (std::size_t i = 1; i < side.size(); ++i) side[i].word.store(value, std::memory_order_relaxed);
  side[0].word.store(value, std::memory_order_release);
}
std::uint64_t receive_lines(const std::vector<Line>& side, std::uint64_t value) noexcept {
  while (side[0].word.load(std::memory_order_acquire) != value) {
  }
  std::uint64_t sum = 0;
  for (std::size_t i = 1; i < side.size(); ++i) sum += side[i].word.load(std::memory_order_relaxed);
  return sum;
}

template <class Ping, class Pong>
double one_sample(int cpu_a, int cpu_b, Ping&& ping, Pong&& pong) {
  std::thread b([&] {
    sys::pin_current_thread(cpu_b);
    pong();
  });
  // Not on the calling thread: its affinity is inherited by every worker forked later.
  std::chrono::steady_clock::duration elapsed{};
  std::thread a([&] {
    sys::pin_current_thread(cpu_a);
    const auto start = std::chrono::steady_clock::now();
    ping();
    elapsed = std::chrono::steady_clock::now() - start;
  });
  a.join();
  b.join();
  return static_cast<double>(std::chrono::nanoseconds(elapsed).count());
}

}  // namespace

double cache_line_round_trip_ns(int cpu_a, int cpu_b, int round_trips, int samples, CacheLines lines) {
  const auto n = static_cast<std::uint64_t>(round_trips);
  std::vector<double> per_sample;
  for (int s = 0; s < samples; ++s) {
    double elapsed_ns = 0;
    if (lines.shared) {
      // Its own line: anything else on it would be false sharing, measured as the floor.
      Line line;
      elapsed_ns = one_sample(
          cpu_a, cpu_b,
          [&] {
            for (std::uint64_t i = 1; i < 2 * n; i += 2) {
              line.word.store(i, std::memory_order_release);
              while (line.word.load(std::memory_order_acquire) != i + 1) {
              }
            }
          },
          [&] {
            for (std::uint64_t i = 1; i < 2 * n; i += 2) {
              while (line.word.load(std::memory_order_acquire) != i) {
              }
              line.word.store(i + 1, std::memory_order_release);
            }
          });
    } else {
      std::vector<Line> to_b(std::max<std::size_t>(lines.each_way, 1)), to_a(to_b.size());
      elapsed_ns = one_sample(
          cpu_a, cpu_b,
          [&] {
            std::uint64_t sum = 0;
            for (std::uint64_t i = 1; i <= n; ++i) {
              send_lines(to_b, i);
              sum += receive_lines(to_a, i);
            }
            asm volatile("" : : "r"(sum));  // the reads are not dead
          },
          [&] {
            std::uint64_t sum = 0;
            for (std::uint64_t i = 1; i <= n; ++i) {
              sum += receive_lines(to_b, i);
              send_lines(to_a, i);
            }
            asm volatile("" : : "r"(sum));
          });
    }
    per_sample.push_back(elapsed_ns / static_cast<double>(round_trips));
  }
  // The median, like the transports' figures it is compared with; a minimum would flatter
  // the floor and inflate every ratio to it.
  std::sort(per_sample.begin(), per_sample.end());
  return per_sample[per_sample.size() / 2];
}

}  // namespace ipcbench
