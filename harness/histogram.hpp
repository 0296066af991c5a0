// Log-linear latency histogram (HDR-style): 1 ns to 100 s, <=1% error, fixed memory, no allocation.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <type_traits>

namespace ipcbench {

// A non-empty bucket as it is written out: the inclusive range of values it holds, and how many.
struct HistogramBucket {
  std::uint64_t low = 0;
  std::uint64_t high = 0;
  std::uint64_t count = 0;
};

// What a histogram knows beyond its buckets; with them, enough to rebuild it exactly.
struct HistogramTotals {
  std::uint64_t count = 0;
  std::uint64_t min = 0;
  std::uint64_t max = 0;
  double sum = 0;
  double sum_squares = 0;
};

// A percentile's value and how many recorded values are at most its bucket's top.
struct PercentilePoint {
  std::uint64_t value = 0;
  std::uint64_t count_at_or_below = 0;
};

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
  [[nodiscard]] std::uint64_t percentile(double p) const noexcept { return percentile_point(p).value; }
  [[nodiscard]] PercentilePoint percentile_point(double p) const noexcept;

  [[nodiscard]] HistogramTotals totals() const noexcept { return {count_, min(), max_, sum_, sum_squares_}; }
  // f(HistogramBucket) for each non-empty bucket, lowest first.
  template <class F>
  void for_each_bucket(F&& f) const {
    for (std::size_t i = 0; i < kBucketCount; ++i)
      if (buckets_[i] != 0) f(HistogramBucket{bucket_low(i), bucket_high(i), buckets_[i]});
  }
  // The histogram that for_each_bucket and totals() described; std::invalid_argument names
  // what does not fit (a range that is not one of these buckets, counts that do not add up).
  static LatencyHistogram rebuild(std::span<const HistogramBucket> buckets, const HistogramTotals& totals);

  static constexpr std::size_t bucket_index(std::uint64_t value) noexcept {
    if (value < kLinearLimit) return static_cast<std::size_t>(value);
    const int exponent = 63 - __builtin_clzll(value);
    const int shift = exponent - kSubBucketBits;
    const std::uint64_t sub = (value >> shift) - kSubBuckets;
    return static_cast<std::size_t>(kLinearLimit + static_cast<std::uint64_t>(shift) * kSubBuckets + sub);
  }
  // The inverse of bucket_index: the lowest and highest value that share bucket `index`.
  static constexpr std::uint64_t bucket_low(std::size_t index) noexcept {
    if (index < kLinearLimit) return index;
    const std::uint64_t offset = index - kLinearLimit;
    return (kSubBuckets + offset % kSubBuckets) << (offset / kSubBuckets);
  }
  static constexpr std::uint64_t bucket_high(std::size_t index) noexcept {
    if (index < kLinearLimit) return index;
    return bucket_low(index) + (std::uint64_t{1} << ((index - kLinearLimit) / kSubBuckets)) - 1;
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
static_assert(LatencyHistogram::bucket_index(LatencyHistogram::bucket_high(1000)) == 1000);
static_assert(LatencyHistogram::bucket_index(LatencyHistogram::bucket_high(1000) + 1) == 1001);

}  // namespace ipcbench
