// What the latency pass costs and what the floor moves: measured, never thresholded on time.
#include <gtest/gtest.h>

#include <thread>

#include "harness/clock.hpp"
#include "harness/histogram.hpp"
#include "harness/limits.hpp"
#include "harness/loops.hpp"

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
