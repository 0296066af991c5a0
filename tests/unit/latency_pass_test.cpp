// What the latency pass costs and what the floor moves: measured, never thresholded on time.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "harness/clock.hpp"
#include "harness/histogram.hpp"
#include "harness/limits.hpp"
#include "harness/loops.hpp"
#include "harness/sys/affinity.hpp"

namespace ipcbench {
namespace {

TEST(LatencyTimer, IsMeasuredAndLeavesTheHistogramEmpty) {
  for (const Clock& clock : {Clock::calibrate(10), Clock::steady()}) {
    LatencyHistogram histogram;
    histogram.record(123);
    const double cost = latency_timer_ns(clock, histogram);
    EXPECT_GT(cost, 0.0) << clock.source();
    EXPECT_LT(cost, 1e6) << clock.source() << ": a clock read of a millisecond is a broken clock";
    EXPECT_EQ(histogram.count(), 0u) << "the pass must start from an empty histogram";
  }
}

void check_clock_steps() {
  for (const Clock& clock : {Clock::calibrate(10), Clock::steady()}) {
    const double step_ns = clock.measure_step_ns();
    ASSERT_GT(step_ns, 0.0) << clock.source();
    const auto step_ticks = static_cast<std::uint64_t>(std::llround(step_ns / clock.ns_per_tick()));
    ASSERT_GT(step_ticks, 0u) << clock.source();
    // On the same CPU the clock keeps its step: the intervals it measures next are multiples of it.
    std::uint64_t before = clock.now();
    std::uint64_t finer = 0;
    for (int i = 0; i < 1000; ++i) {
      const std::uint64_t after = clock.now();
      if ((after - before) % step_ticks != 0) ++finer;
      before = after;
    }
    EXPECT_EQ(finer, 0u) << clock.source() << ": step " << step_ns << " ns";
  }
}

TEST(LatencyTimer, TheClockStepDividesEveryInterval) {
  // Pinned, as the client is: two CPUs' clocks may step in different phases.
  if (!sys::kCanPin) GTEST_SKIP() << "this system cannot pin a thread";
  std::thread([] {
    sys::pin_current_thread(0);
    check_clock_steps();
  }).join();
}

int second_cpu() { return std::thread::hardware_concurrency() > 1 ? 1 : 0; }

TEST(Floor, MovesOneSharedLineOrSeveralLinesEachWay) {
  // Few round trips: on one CPU two spinners hand over only at the scheduler's tick.
  const int rounds = second_cpu() == 0 ? 20 : 2000;
  for (const CacheLines lines : {CacheLines{1, true}, CacheLines{1, false}, CacheLines{2, false}, CacheLines{5, false}}) {
    const double ns = cache_line_round_trip_ns(0, second_cpu(), rounds, 1, lines);
    EXPECT_GT(ns, 0.0) << lines.each_way << " lines";
  }
}

}  // namespace
}  // namespace ipcbench
