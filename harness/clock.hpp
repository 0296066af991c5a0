// The latency pass's timestamp source: calibrated lfence+rdtsc, steady_clock where there is no invariant TSC.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define IPCBENCH_HAVE_TSC 1
#else
#define IPCBENCH_HAVE_TSC 0
#endif

namespace ipcbench {

// Reads are ticks; to_ns() converts a tick difference with the calibrated factor, so the
// timed loop does one read per timestamp and one multiply per round trip.
class Clock {
 public:
  // Calibrates against CLOCK_MONOTONIC_RAW over about calibration_ms, and measures the cost
  // of one read. Uses the TSC only when /proc/cpuinfo reports constant_tsc and nonstop_tsc.
  static Clock calibrate(int calibration_ms = 50);
  static Clock steady();  // the fallback, also used in tests

  [[nodiscard]] std::uint64_t now() const noexcept {
#if IPCBENCH_HAVE_TSC
    // The fence keeps the read after everything before it (the reply has been seen). None
    // after it: later instructions may start early, but no store of the next round trip
    // becomes visible before the read retires, and the second fence cost 5 ns a read here.
    if (use_tsc_) {
      _mm_lfence();
      return __rdtsc();
    }
#endif
    return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }

  [[nodiscard]] std::uint64_t to_ns(std::uint64_t ticks) const noexcept {
    return static_cast<std::uint64_t>(static_cast<double>(ticks) * ns_per_tick_);
  }

  [[nodiscard]] std::string_view source() const noexcept { return use_tsc_ ? "tsc" : "steady_clock"; }
  [[nodiscard]] double ns_per_tick() const noexcept { return ns_per_tick_; }
  [[nodiscard]] double read_overhead_ns() const noexcept { return read_overhead_ns_; }
  // The clock's step on the calling thread's CPU: every interval it measures is a multiple
  // of this. Some TSCs advance by tens of ticks at a time, and then so does every latency
  // sample. 0 if the clock did not move while it was read.
  [[nodiscard]] double measure_step_ns() const noexcept;

 private:
  Clock(bool use_tsc, double ns_per_tick) noexcept : use_tsc_(use_tsc), ns_per_tick_(ns_per_tick) {}
  void measure_read_overhead() noexcept;

  bool use_tsc_;
  double ns_per_tick_;
  double read_overhead_ns_ = 0;
};

// CLOCK_MONOTONIC_RAW in ns: the reference for calibration and for phase deadlines.
// Throws std::system_error if clock_gettime fails; calibrate() calls it first, so that
// happens at startup or never.
std::uint64_t monotonic_raw_ns();

}  // namespace ipcbench
