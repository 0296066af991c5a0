// Log-linear latency histogram (HDR-style): 1 ns to 100 s, <=1% error, fixed memory, no allocation.
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

namespace ipcbench {

// Values below kLinearLimit get a bucket each; above, every power of two is split into
// kSubBuckets linear buckets, so a bucket is at most 1/128 of its value wide and its
// midpoint is within 0.4% of any value in it. Trivially copyable on purpose: it lives in
// the shared control block that a forked child fills in.
class LatencyHistogram {
 public:
  static constexpr std::uint64_t kMaxValueNs = 100'000'000'000;  // 100 s
  static constexpr int kSubBucketBits = 7;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBucketBits;
  static constexpr std::uint64_t kLinearLimit = kSubBuckets;
  static constexpr int kMaxExponent = 36;  // 2^37 > kMaxValueNs
  static constexpr std::size_t kBucketCount =
      kLinearLimit + (kMaxExponent - kSubBucketBits + 1) * kSubBuckets;

  void record(std::uint64_t value_ns) noexcept {
    if (value_ns > kMaxValueNs) [[unlikely]] value_ns = kMaxValueNs;
    ++buckets_[bucket_index(value_ns)];
    ++count_;
    if (value_ns < min_) min_ = value_ns;
    if (value_ns > max_) max_ = value_ns;
    sum_ += static_cast<double>(value_ns);
    sum_squares_ += static_cast<double>(value_ns) * static_cast<double>(value_ns);
  }

  void merge(const LatencyHistogram& other) noexcept;
  void reset() noexcept { *this = LatencyHistogram{}; }

  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
  [[nodiscard]] double mean() const noexcept;
  [[nodiscard]] double stddev() const noexcept;
  // The value at rank ceil(p/100 * count) in sorted order, within 1%; p in [0, 100].
  [[nodiscard]] std::uint64_t percentile(double p) const noexcept;

  static constexpr std::size_t bucket_index(std::uint64_t value) noexcept {
    if (value < kLinearLimit) return static_cast<std::size_t>(value);
    const int exponent = 63 - __builtin_clzll(value);
    const int shift = exponent - kSubBucketBits;
    const std::uint64_t sub = (value >> shift) - kSubBuckets;
    return static_cast<std::size_t>(kLinearLimit + static_cast<std::uint64_t>(shift) * kSubBuckets + sub);
  }

 private:
  std::array<std::uint64_t, kBucketCount> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = ~std::uint64_t{0};
  std::uint64_t max_ = 0;
  double sum_ = 0;
  double sum_squares_ = 0;
};

static_assert(std::is_trivially_copyable_v<LatencyHistogram>);
static_assert(LatencyHistogram::bucket_index(LatencyHistogram::kMaxValueNs) < LatencyHistogram::kBucketCount);

}  // namespace ipcbench
