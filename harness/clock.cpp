// Clock calibration: TSC frequency against CLOCK_MONOTONIC_RAW, read overhead, and the steady_clock fallback.
#include "harness/clock.hpp"

#include <time.h>

#include <cerrno>
#include <cmath>
#include <fstream>
#include <numeric>
#include <ratio>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>

namespace ipcbench {
namespace {

constexpr int kReadOverheadSamples = 200'000;

// steady_clock counts in its own period; libstdc++ uses ns, but the conversion costs nothing.
constexpr double kSteadyNsPerTick =
    static_cast<double>(std::chrono::steady_clock::period::num) * std::nano::den /
    static_cast<double>(std::chrono::steady_clock::period::den);

#if IPCBENCH_HAVE_TSC
constexpr int kPairTries = 8;

// Without both flags the TSC rate changes with frequency scaling or stops in deep C-states.
bool has_invariant_tsc() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    bool constant = false;
    bool nonstop = false;
    for (std::string flag; words >> flag;) {
      constant = constant || flag == "constant_tsc";
      nonstop = nonstop || flag == "nonstop_tsc";
    }
    return constant && nonstop;
  }
  return false;
}

struct TimePair {
  std::uint64_t raw_ns;
  std::uint64_t tsc;
};

// A TSC read bracketed by two CLOCK_MONOTONIC_RAW reads; the narrowest bracket of a few tries
// is the one least disturbed by an interrupt or a preemption between the reads.
TimePair tight_pair(const Clock& tsc_clock) {
  TimePair best{};
  std::uint64_t best_bracket_ns = ~std::uint64_t{0};
  for (int i = 0; i < kPairTries; ++i) {
    const std::uint64_t before = monotonic_raw_ns();
    const std::uint64_t tsc = tsc_clock.now();
    const std::uint64_t after = monotonic_raw_ns();
    if (after - before < best_bracket_ns) {
      best_bracket_ns = after - before;
      best = {before + (after - before) / 2, tsc};
    }
  }
  return best;
}

// 0 when the measurement makes no sense, e.g. a TSC that went backwards.
double measure_ns_per_tick(const Clock& tsc_clock, int calibration_ms) {
  const TimePair start = tight_pair(tsc_clock);
  std::this_thread::sleep_for(std::chrono::milliseconds(calibration_ms));
  const TimePair end = tight_pair(tsc_clock);
  if (end.tsc <= start.tsc || end.raw_ns <= start.raw_ns) return 0;
  const double ns_per_tick =
      static_cast<double>(end.raw_ns - start.raw_ns) / static_cast<double>(end.tsc - start.tsc);
  return std::isfinite(ns_per_tick) ? ns_per_tick : 0;
}
#endif

}  // namespace

Clock Clock::calibrate(int calibration_ms) {
  monotonic_raw_ns();  // throws here, at startup, if the reference clock is unusable
#if IPCBENCH_HAVE_TSC
  if (has_invariant_tsc()) {
    const Clock uncalibrated(true, 1.0);
    const double ns_per_tick = measure_ns_per_tick(uncalibrated, calibration_ms > 0 ? calibration_ms : 1);
    if (ns_per_tick > 0) {
      Clock clock(true, ns_per_tick);
      clock.measure_read_overhead();
      return clock;
    }
  }
#else
  (void)calibration_ms;
#endif
  return steady();
}

Clock Clock::steady() {
  Clock clock(false, kSteadyNsPerTick);
  clock.measure_read_overhead();
  return clock;
}

void Clock::measure_read_overhead() noexcept {
  // Folding every read into `sink` keeps the compiler from dropping any of them.
  std::uint64_t sink = 0;
  const std::uint64_t start = now();
  for (int i = 0; i < kReadOverheadSamples; ++i) sink ^= now();
  const std::uint64_t end = now();
  asm volatile("" : : "r"(sink));
  read_overhead_ns_ = static_cast<double>(end - start) * ns_per_tick_ / kReadOverheadSamples;
}

double Clock::measure_step_ns() const noexcept {
  // The greatest common divisor of the differences between consecutive reads that moved: a
  // finer clock shows it within a few of them. A coarse clock may not move for many reads.
  constexpr int kIntervals = 1000;
  constexpr int kMaxReads = 1'000'000;
  std::uint64_t step = 0;
  std::uint64_t before = now();
  for (int intervals = 0, reads = 0; intervals < kIntervals && reads < kMaxReads; ++reads) {
    const std::uint64_t after = now();
    if (after == before) continue;
    step = std::gcd(step, after - before);
    before = after;
    ++intervals;
  }
  return static_cast<double>(step) * ns_per_tick_;
}

// FreeBSD has no CLOCK_MONOTONIC_RAW; its CLOCK_MONOTONIC is the closest (slewed, never stepped).
#if defined(CLOCK_MONOTONIC_RAW)
constexpr clockid_t kReferenceClock = CLOCK_MONOTONIC_RAW;
#else
constexpr clockid_t kReferenceClock = CLOCK_MONOTONIC;
#endif

std::uint64_t monotonic_raw_ns() {
  timespec ts{};
  if (clock_gettime(kReferenceClock, &ts) != 0) [[unlikely]] {
    throw std::system_error(errno, std::generic_category(), "clock_gettime(CLOCK_MONOTONIC_RAW)");
  }
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace ipcbench
