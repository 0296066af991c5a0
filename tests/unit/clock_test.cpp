// Sanity of clock calibration and the steady_clock fallback; no timing thresholds that could flake.
#include "harness/clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <ratio>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>

namespace ipcbench {
namespace {

constexpr auto kSleep = std::chrono::milliseconds(20);

bool cpuinfo_has_invariant_tsc() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream flags(line);
    bool constant = false;
    bool nonstop = false;
    for (std::string flag; flags >> flag;) {
      constant = constant || flag == "constant_tsc";
      nonstop = nonstop || flag == "nonstop_tsc";
    }
    return constant && nonstop;
  }
  return false;
}

// What the clock saw across a sleep, divided by what CLOCK_MONOTONIC_RAW saw.
double ratio_to_monotonic_raw(const Clock& clock) {
  const std::uint64_t ticks_before = clock.now();
  const std::uint64_t raw_before = monotonic_raw_ns();
  std::this_thread::sleep_for(kSleep);
  const std::uint64_t raw_after = monotonic_raw_ns();
  const std::uint64_t ticks_after = clock.now();
  return static_cast<double>(clock.to_ns(ticks_after - ticks_before)) / static_cast<double>(raw_after - raw_before);
}

void expect_sane(const Clock& clock) {
  EXPECT_TRUE(std::isfinite(clock.ns_per_tick()));
  EXPECT_GT(clock.ns_per_tick(), 0.0);
  EXPECT_GT(clock.read_overhead_ns(), 0.0);
  EXPECT_LT(clock.read_overhead_ns(), 1e6);
  const double ratio = ratio_to_monotonic_raw(clock);
  EXPECT_GE(ratio, 0.5);
  EXPECT_LE(ratio, 20.0);
}

TEST(Clock, CalibrateIsSane) {
  const Clock clock = Clock::calibrate(20);
  EXPECT_TRUE(clock.source() == "tsc" || clock.source() == "steady_clock") << clock.source();
  expect_sane(clock);
}

TEST(Clock, CalibrateUsesTscExactlyWhenInvariant) {
  const Clock clock = Clock::calibrate(5);
  if (IPCBENCH_HAVE_TSC && cpuinfo_has_invariant_tsc()) {
    EXPECT_EQ(clock.source(), "tsc");
  } else {
    EXPECT_EQ(clock.source(), "steady_clock");
  }
}

TEST(Clock, NonPositiveCalibrationTimeStillCalibrates) {
  const Clock clock = Clock::calibrate(0);
  EXPECT_GT(clock.ns_per_tick(), 0.0);
}

TEST(Clock, SteadyIsSane) {
  const Clock clock = Clock::steady();
  EXPECT_EQ(clock.source(), "steady_clock");
  if constexpr (std::is_same_v<std::chrono::steady_clock::period, std::nano>) {
    EXPECT_EQ(clock.ns_per_tick(), 1.0);
  }
  expect_sane(clock);
}

// Not asserted for the TSC: a thread that migrates may see a small skew between CPUs.
TEST(Clock, SteadyAndMonotonicRawNeverGoBackwards) {
  const Clock clock = Clock::steady();
  std::uint64_t previous_ticks = clock.now();
  for (int i = 0; i < 10'000; ++i) {
    const std::uint64_t current = clock.now();
    ASSERT_GE(current, previous_ticks);
    previous_ticks = current;
  }
  std::uint64_t previous = monotonic_raw_ns();
  for (int i = 0; i < 10'000; ++i) {
    const std::uint64_t current = monotonic_raw_ns();
    ASSERT_GE(current, previous);
    previous = current;
  }
}

TEST(Clock, ToNsScalesByNsPerTick) {
  const Clock clock = Clock::steady();
  EXPECT_EQ(clock.to_ns(0), 0u);
  EXPECT_NEAR(static_cast<double>(clock.to_ns(1'000'000)), 1'000'000 * clock.ns_per_tick(), 1.0);
}

}  // namespace
}  // namespace ipcbench
