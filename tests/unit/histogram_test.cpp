// The latency histogram against exact percentiles, mean and stddev of the sorted samples.
#include "harness/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace ipcbench {
namespace {

using Samples = std::vector<std::uint64_t>;

constexpr std::uint64_t kMax = LatencyHistogram::kMaxValueNs;
constexpr std::uint64_t kSeed = 20240601;

// Percentiles in hundredths of a percent, so that the exact rank is integer arithmetic.
constexpr std::array<std::uint64_t, 13> kPercentileHundredths{0,    1,    10,   100,  1000, 2500, 5000,
                                                              7500, 9000, 9900, 9990, 9999, 10000};

// A histogram is 31 KiB: keep them off the test's stack.
std::unique_ptr<LatencyHistogram> histogram_of(const Samples& samples) {
  auto histogram = std::make_unique<LatencyHistogram>();
  for (const std::uint64_t value : samples) histogram->record(value);
  return histogram;
}

// The sample at index rank-1 of the sorted samples, rank = max(1, ceil(p/100 * count)).
std::uint64_t exact_percentile(const Samples& sorted, std::uint64_t hundredths) {
  const std::uint64_t rank = std::max<std::uint64_t>(1, (hundredths * sorted.size() + 9999) / 10000);
  return sorted[rank - 1];
}

void expect_percentiles_within_1_percent(Samples samples) {
  const auto histogram = histogram_of(samples);
  for (std::uint64_t& value : samples) value = std::min(value, kMax);
  std::sort(samples.begin(), samples.end());
  for (const std::uint64_t hundredths : kPercentileHundredths) {
    const double p = static_cast<double>(hundredths) / 100.0;
    const auto exact = static_cast<double>(exact_percentile(samples, hundredths));
    const auto estimate = static_cast<double>(histogram->percentile(p));
    EXPECT_NEAR(estimate, exact, exact * 0.01) << "p" << p << " of " << samples.size() << " samples";
  }
}

void expect_mean_and_stddev_exact(const Samples& samples) {
  const auto histogram = histogram_of(samples);
  double sum = 0;
  for (const std::uint64_t value : samples) sum += static_cast<double>(value);
  const double mean = sum / static_cast<double>(samples.size());
  double squared_deviations = 0;
  for (const std::uint64_t value : samples) {
    squared_deviations += (static_cast<double>(value) - mean) * (static_cast<double>(value) - mean);
  }
  const double stddev = std::sqrt(squared_deviations / static_cast<double>(samples.size()));
  EXPECT_NEAR(histogram->mean(), mean, mean * 1e-9);
  EXPECT_NEAR(histogram->stddev(), stddev, stddev * 1e-6 + 1e-6);
}

Samples uniform_samples(std::size_t n) {
  std::mt19937_64 random(kSeed);
  std::uniform_int_distribution<std::uint64_t> latency(100, 100'000);
  Samples samples(n);
  for (std::uint64_t& value : samples) value = latency(random);
  return samples;
}

Samples exponential_samples(std::size_t n) {
  std::mt19937_64 random(kSeed);
  std::exponential_distribution<double> latency(1.0 / 50'000);
  Samples samples(n);
  for (std::uint64_t& value : samples) value = static_cast<std::uint64_t>(latency(random));
  return samples;
}

// The shape of a blocking hand-off that sometimes stays on one CPU: ~300 ns and ~100 us.
Samples bimodal_samples(std::size_t n) {
  std::mt19937_64 random(kSeed);
  std::normal_distribution<double> fast(300, 20);
  std::normal_distribution<double> slow(100'000, 5'000);
  std::bernoulli_distribution is_slow(0.3);
  Samples samples(n);
  for (std::uint64_t& value : samples) {
    value = static_cast<std::uint64_t>(std::max(1.0, is_slow(random) ? slow(random) : fast(random)));
  }
  return samples;
}

// Log-normal around 10 us with one sample in a thousand stalled for up to 3 s.
Samples lognormal_with_outliers(std::size_t n) {
  std::mt19937_64 random(kSeed);
  std::lognormal_distribution<double> latency(std::log(10'000.0), 1.0);
  std::bernoulli_distribution is_outlier(0.001);
  std::uniform_int_distribution<std::uint64_t> stall(1'000'000, 3'000'000'000);
  Samples samples(n);
  for (std::uint64_t& value : samples) {
    value = is_outlier(random) ? stall(random) : static_cast<std::uint64_t>(latency(random));
  }
  return samples;
}

TEST(LatencyHistogram, UniformPercentiles) { expect_percentiles_within_1_percent(uniform_samples(100'000)); }

TEST(LatencyHistogram, ExponentialPercentiles) { expect_percentiles_within_1_percent(exponential_samples(100'000)); }

TEST(LatencyHistogram, BimodalPercentiles) { expect_percentiles_within_1_percent(bimodal_samples(100'000)); }

TEST(LatencyHistogram, LogNormalWithOutliersPercentiles) {
  expect_percentiles_within_1_percent(lognormal_with_outliers(200'000));
}

TEST(LatencyHistogram, ConstantIsExact) {
  const auto histogram = histogram_of(Samples(10'000, 12'345));
  for (const double p : {0.0, 1.0, 50.0, 99.99, 100.0}) EXPECT_EQ(histogram->percentile(p), 12'345u) << "p" << p;
  EXPECT_EQ(histogram->mean(), 12'345.0);
  EXPECT_NEAR(histogram->stddev(), 0.0, 1e-3);
}

TEST(LatencyHistogram, SingleSampleIsEveryPercentile) {
  const auto histogram = histogram_of({987'654'321});
  for (const double p : {0.0, 0.1, 50.0, 99.9, 100.0}) EXPECT_EQ(histogram->percentile(p), 987'654'321u) << "p" << p;
  EXPECT_EQ(histogram->count(), 1u);
  EXPECT_EQ(histogram->min(), 987'654'321u);
  EXPECT_EQ(histogram->max(), 987'654'321u);
  EXPECT_EQ(histogram->stddev(), 0.0);
}

TEST(LatencyHistogram, EdgeValuesAndClampingAboveMax) {
  const Samples edges{0, 1, 127, 128, 129, 255, 256, kMax - 1, kMax, kMax + 1, ~std::uint64_t{0}};
  expect_percentiles_within_1_percent(edges);
  const auto histogram = histogram_of(edges);
  EXPECT_EQ(histogram->min(), 0u);
  EXPECT_EQ(histogram->max(), kMax);
  EXPECT_EQ(histogram->percentile(100), kMax);
  EXPECT_EQ(histogram->count(), edges.size());
}

TEST(LatencyHistogram, LinearRegionIsExact) {
  Samples samples;
  for (std::uint64_t value = 0; value < LatencyHistogram::kLinearLimit; ++value) samples.push_back(value);
  const auto histogram = histogram_of(samples);
  for (std::uint64_t rank = 1; rank <= samples.size(); ++rank) {
    const double p = 100.0 * static_cast<double>(rank) / static_cast<double>(samples.size());
    EXPECT_EQ(histogram->percentile(p), rank - 1) << "p" << p;
  }
}

// Every value's bucket midpoint is within 1/256 of it; min and max samples keep the clamp out.
TEST(LatencyHistogram, EveryBucketMidpointIsClose) {
  for (double value = 1; value < static_cast<double>(kMax); value *= 1.013) {
    const auto sample = static_cast<std::uint64_t>(value);
    const auto histogram = histogram_of({0, sample, kMax});
    const auto estimate = static_cast<double>(histogram->percentile(50));
    EXPECT_NEAR(estimate, static_cast<double>(sample), static_cast<double>(sample) / 256.0) << sample;
  }
}

TEST(LatencyHistogram, RankIsCeilingOfExactFraction) {
  for (std::size_t n = 1; n <= 300; ++n) {
    Samples samples(n);
    for (std::size_t i = 0; i < n; ++i) samples[i] = 1000 * (i + 1);
    expect_percentiles_within_1_percent(samples);
  }
}

// 99.9 * 41000 / 100 is 40959.00000000001 in doubles; the rank is still 40959, not the outlier after it.
TEST(LatencyHistogram, RankSurvivesRoundingOfP) {
  Samples samples(41'000, 1'000'000);
  std::fill_n(samples.begin(), 40'959, 100);
  EXPECT_EQ(histogram_of(samples)->percentile(99.9), 100u);
  expect_percentiles_within_1_percent(samples);
}

TEST(LatencyHistogram, OutOfRangePercentilesClampToMinAndMax) {
  const auto histogram = histogram_of({500, 600, 700});
  EXPECT_EQ(histogram->percentile(-5), 500u);
  EXPECT_EQ(histogram->percentile(250), 700u);
  EXPECT_EQ(histogram->percentile(std::nan("")), 500u);
}

TEST(LatencyHistogram, MeanAndStddevMatchExact) {
  expect_mean_and_stddev_exact(uniform_samples(100'000));
  expect_mean_and_stddev_exact(exponential_samples(100'000));
  expect_mean_and_stddev_exact(bimodal_samples(100'000));
  expect_mean_and_stddev_exact(lognormal_with_outliers(100'000));
}

TEST(LatencyHistogram, EmptyReportsZeros) {
  const LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.min(), 0u);
  EXPECT_EQ(histogram.max(), 0u);
  EXPECT_EQ(histogram.mean(), 0.0);
  EXPECT_EQ(histogram.stddev(), 0.0);
  for (const double p : {0.0, 50.0, 100.0}) EXPECT_EQ(histogram.percentile(p), 0u);
}

TEST(LatencyHistogram, MergeEqualsRecordingAll) {
  const Samples samples = lognormal_with_outliers(50'000);
  auto left = std::make_unique<LatencyHistogram>();
  auto right = std::make_unique<LatencyHistogram>();
  std::mt19937_64 random(kSeed);
  std::bernoulli_distribution to_left(0.3);
  for (const std::uint64_t value : samples) (to_left(random) ? *left : *right).record(value);
  left->merge(*right);

  const auto all = histogram_of(samples);
  EXPECT_EQ(left->count(), all->count());
  EXPECT_EQ(left->min(), all->min());
  EXPECT_EQ(left->max(), all->max());
  EXPECT_NEAR(left->mean(), all->mean(), all->mean() * 1e-12);
  EXPECT_NEAR(left->stddev(), all->stddev(), all->stddev() * 1e-9);
  for (const std::uint64_t hundredths : kPercentileHundredths) {
    const double p = static_cast<double>(hundredths) / 100.0;
    EXPECT_EQ(left->percentile(p), all->percentile(p)) << "p" << p;
  }
}

TEST(LatencyHistogram, MergeWithEmptyChangesNothing) {
  const auto histogram = histogram_of({10, 20, 30});
  const LatencyHistogram empty;
  histogram->merge(empty);
  EXPECT_EQ(histogram->count(), 3u);
  EXPECT_EQ(histogram->min(), 10u);
  EXPECT_EQ(histogram->max(), 30u);

  auto target = std::make_unique<LatencyHistogram>();
  target->merge(*histogram);
  EXPECT_EQ(target->min(), 10u);
  EXPECT_EQ(target->percentile(50), 20u);
  EXPECT_EQ(target->mean(), 20.0);
}

TEST(LatencyHistogram, ResetForgetsEverything) {
  const auto histogram = histogram_of(bimodal_samples(1000));
  histogram->reset();
  EXPECT_EQ(histogram->count(), 0u);
  EXPECT_EQ(histogram->min(), 0u);
  EXPECT_EQ(histogram->max(), 0u);
  EXPECT_EQ(histogram->percentile(50), 0u);
  EXPECT_EQ(histogram->mean(), 0.0);
  histogram->record(42);
  EXPECT_EQ(histogram->min(), 42u);
  EXPECT_EQ(histogram->percentile(50), 42u);
  EXPECT_EQ(histogram->count(), 1u);
}

}  // namespace
}  // namespace ipcbench
