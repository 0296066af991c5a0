// Summary statistics of the latency histogram: merge, mean, stddev and percentiles.
#include "harness/histogram.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace ipcbench {
namespace {

using Histogram = LatencyHistogram;

// Inverse of bucket_index(): the middle of the range of values that share bucket `index`.
std::uint64_t bucket_midpoint(std::size_t index) noexcept {
  if (index < Histogram::kLinearLimit) return index;
  const std::uint64_t offset = index - Histogram::kLinearLimit;
  const auto shift = static_cast<int>(offset / Histogram::kSubBuckets);
  const std::uint64_t sub = offset % Histogram::kSubBuckets;
  const std::uint64_t lowest = (Histogram::kSubBuckets + sub) << shift;
  const std::uint64_t width = std::uint64_t{1} << shift;
  return lowest + (width - 1) / 2;
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

std::uint64_t LatencyHistogram::percentile(double p) const noexcept {
  if (count_ == 0) return 0;
  if (!(p > 0)) return min();
  if (p >= 100) return max();
  const std::uint64_t rank = percentile_rank(p, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::clamp(bucket_midpoint(i), min(), max());
  }
  return max();
}

}  // namespace ipcbench
