// Summary statistics of the latency histogram: merge, mean, stddev and percentiles.
#include "harness/histogram.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <fmt/format.h>
#include <stdexcept>

namespace ipcbench {
namespace {

using Histogram = LatencyHistogram;

// The middle of the range of values that share bucket `index`.
std::uint64_t bucket_midpoint(std::size_t index) noexcept {
  const std::uint64_t low = Histogram::bucket_low(index);
  return low + (Histogram::bucket_high(index) - low) / 2;
}

// The 1-based position in sorted order that percentile p names: ceil(p/100 * count).
std::uint64_t percentile_rank(double p, std::uint64_t count) noexcept {
  const double exact = p * static_cast<double>(count) / 100.0;
  auto rank = static_cast<std::uint64_t>(std::ceil(exact));
  // p is rarely exact in binary: 99.9% of 1000 must be rank 999, not 1000 from 999.0000000000001.
  if (rank > 1 && static_cast<double>(rank - 1) >= exact - 4 * DBL_EPSILON * exact) --rank;
  return std::clamp<std::uint64_t>(rank, 1, count);
}

}  // namespace

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  for (std::size_t i = 0; i < kBucketCount; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
  sum_squares_ += other.sum_squares_;
}

double LatencyHistogram::mean() const noexcept {
  return count_ ? sum_ / static_cast<double>(count_) : 0.0;
}

// Population standard deviation, as HdrHistogram and sockperf report it.
double LatencyHistogram::stddev() const noexcept {
  if (count_ == 0) return 0.0;
  const double variance = (sum_squares_ - sum_ * mean()) / static_cast<double>(count_);
  // Rounding can leave a tiny negative variance when every sample is (nearly) equal.
  return variance > 0 ? std::sqrt(variance) : 0.0;
}

PercentilePoint LatencyHistogram::percentile_point(double p) const noexcept {
  if (count_ == 0) return {};
  if (p >= 100) return {max(), count_};
  const std::uint64_t rank = p > 0 ? percentile_rank(p, count_) : 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return {p > 0 ? std::clamp(bucket_midpoint(i), min(), max()) : min(), seen};
  }
  return {max(), count_};
}

LatencyHistogram LatencyHistogram::rebuild(std::span<const HistogramBucket> buckets, const HistogramTotals& totals) {
  LatencyHistogram h;
  std::uint64_t counted = 0;
  for (const HistogramBucket& b : buckets) {
    const std::size_t index = b.low <= kMaxValueNs ? bucket_index(b.low) : kBucketCount;
    if (index >= kBucketCount || bucket_low(index) != b.low || bucket_high(index) != b.high)
      throw std::invalid_argument(fmt::format("[{}, {}] is not a bucket of ipcbench's histogram", b.low, b.high));
    if (b.count > ~std::uint64_t{0} - counted) throw std::invalid_argument("the bucket counts add up to more than 2^64");
    h.buckets_[index] += b.count;
    counted += b.count;
  }
  if (counted != totals.count)
    throw std::invalid_argument(fmt::format("the buckets hold {} values but the count is {}", counted, totals.count));
  if (totals.count > 0) {
    // min and max are recorded values, so they lie in the lowest and highest non-empty bucket.
    std::size_t lowest = 0, highest = kBucketCount - 1;
    while (h.buckets_[lowest] == 0) ++lowest;
    while (h.buckets_[highest] == 0) --highest;
    if (totals.min > kMaxValueNs || totals.max > kMaxValueNs || bucket_index(totals.min) != lowest ||
        bucket_index(totals.max) != highest || totals.min > totals.max)
      throw std::invalid_argument(
          fmt::format("min {} and max {} are not in the lowest and highest non-empty buckets", totals.min, totals.max));
    h.min_ = totals.min;
    h.max_ = totals.max;
  }
  if (!(totals.sum >= 0 && totals.sum_squares >= 0 && std::isfinite(totals.sum) && std::isfinite(totals.sum_squares)))
    throw std::invalid_argument("sum and sum_squares must be finite and not negative");
  h.count_ = totals.count;
  h.sum_ = totals.sum;
  h.sum_squares_ = totals.sum_squares;
  return h;
}

}  // namespace ipcbench
