// Histograms that outlive the run: JSON and back, .hgrm, and merges checked against the exact merged samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <fmt/format.h>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "harness/hgrm.hpp"
#include "harness/histogram_json.hpp"
#include "harness/json_reporter.hpp"
#include "harness/merge.hpp"
#include "harness/result_file.hpp"

namespace ipcbench {
namespace {

using Samples = std::vector<std::uint64_t>;

constexpr std::array kPercentiles{0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0};

Samples lognormal_samples(std::size_t n, std::uint64_t seed, double location) {
  std::mt19937_64 random(seed);
  std::lognormal_distribution<double> latency(location, 0.8);
  Samples samples(n);
  for (std::uint64_t& value : samples) value = static_cast<std::uint64_t>(latency(random));
  return samples;
}

std::unique_ptr<LatencyHistogram> histogram_of(const Samples& samples) {
  auto h = std::make_unique<LatencyHistogram>();
  for (const std::uint64_t value : samples) h->record(value);
  return h;
}

// The sample at rank max(1, ceil(p/100 * n)) of the sorted samples.
std::uint64_t exact_percentile(Samples sorted, double p) {
  std::sort(sorted.begin(), sorted.end());
  if (p >= 100) return sorted.back();
  const auto rank = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(p / 100 * static_cast<double>(sorted.size()) - 1e-9)));
  return sorted[rank - 1];
}

void expect_same_histogram(const LatencyHistogram& a, const LatencyHistogram& b) {
  EXPECT_EQ(a.count(), b.count());
  EXPECT_EQ(a.min(), b.min());
  EXPECT_EQ(a.max(), b.max());
  EXPECT_DOUBLE_EQ(a.mean(), b.mean());
  EXPECT_DOUBLE_EQ(a.stddev(), b.stddev());
  for (const double p : kPercentiles) EXPECT_EQ(a.percentile(p), b.percentile(p)) << "p" << p;
}

TEST(HistogramJson, RoundTripIsExact) {
  const auto h = histogram_of(lognormal_samples(50'000, 1, 9.0));
  const auto back = LatencyHistogram::rebuild({}, HistogramTotals{});
  EXPECT_EQ(back.count(), 0u);
  const LatencyHistogram rebuilt = histogram_from_json(nlohmann::json::parse(histogram_to_json(*h).dump()));
  expect_same_histogram(rebuilt, *h);
}

TEST(HistogramJson, BucketsAreInclusiveValueRanges) {
  LatencyHistogram h;
  h.record(5);
  h.record(1000);
  h.record(1001);
  const nlohmann::json j = histogram_to_json(h);
  ASSERT_EQ(j["buckets"].size(), 2u);
  EXPECT_EQ(j["buckets"][0], nlohmann::json({5, 5, 1}));
  // 1000 and 1001 share a bucket 4 wide: 2^9 .. 2^10 in 128 steps.
  EXPECT_EQ(j["buckets"][1], nlohmann::json({1000, 1003, 2}));
}

TEST(HistogramJson, RejectsWhatDoesNotFit) {
  nlohmann::json j = histogram_to_json(*histogram_of({100, 2000, 3000}));
  nlohmann::json moved = j;
  moved["buckets"][1][1] = 2100;  // not a bucket's top
  EXPECT_THROW(histogram_from_json(moved), std::invalid_argument);
  nlohmann::json miscounted = j;
  miscounted["count"] = 4;
  EXPECT_THROW(histogram_from_json(miscounted), std::invalid_argument);
  nlohmann::json min_too_high = j;
  min_too_high["min"] = 2000;  // the bucket of 100 lies below it
  EXPECT_THROW(histogram_from_json(min_too_high), std::invalid_argument);
  nlohmann::json overflowing = j;
  overflowing["buckets"][0][2] = ~std::uint64_t{0};
  EXPECT_THROW(histogram_from_json(overflowing), std::invalid_argument);
  nlohmann::json negative_sum = j;
  negative_sum["sum"] = -1.0;
  EXPECT_THROW(histogram_from_json(negative_sum), std::invalid_argument);
  nlohmann::json no_unit = j;
  no_unit.erase("unit");
  EXPECT_THROW(histogram_from_json(no_unit), std::invalid_argument);
  EXPECT_THROW(histograms_from_json(nlohmann::json{{"p99", j}}), std::invalid_argument);
}

TEST(Hgrm, LinesClimbToTheCountAndTheFooterSaysIt) {
  const Samples samples = lognormal_samples(10'000, 2, 8.0);
  const auto h = histogram_of(samples);
  std::istringstream text(hgrm_text(*h));
  std::string line;
  std::getline(text, line);
  EXPECT_NE(line.find("Value"), std::string::npos);
  std::getline(text, line);
  EXPECT_TRUE(line.empty());
  double last_value = 0, last_percentile = -1;
  std::uint64_t last_count = 0;
  bool median_seen = false;
  while (std::getline(text, line) && line[0] != '#') {
    double value = 0, percentile = 0;
    unsigned long long count = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%lf %lf %llu", &value, &percentile, &count), 3) << line;
    EXPECT_GE(value, last_value);
    EXPECT_GT(percentile, last_percentile);
    EXPECT_GE(count, last_count);
    if (percentile == 0.5) {
      EXPECT_NEAR(value * 1e6, static_cast<double>(h->percentile(50)), 0.5);
      median_seen = true;
    }
    last_value = value, last_percentile = percentile, last_count = count;
  }
  EXPECT_TRUE(median_seen);
  EXPECT_EQ(last_percentile, 1.0);
  EXPECT_EQ(last_count, h->count());
  EXPECT_NEAR(last_value * 1e6, static_cast<double>(h->max()), 0.5);
  EXPECT_NE(line.find("#[Mean"), std::string::npos);
}

// A results file on disk, written by the reporter a run uses, one cell per entry.
struct FileCell {
  CellSpec spec;
  std::vector<Samples> repetitions;
  double rate;
};

std::string write_results(const std::string& name, const std::vector<FileCell>& cells, bool load) {
  const std::string path = (std::filesystem::temp_directory_path() / fmt::format("merge_test_{}_{}.json", ::getpid(), name)).string();
  std::vector<CellRecord> records;
  for (const FileCell& c : cells) {
    CellRecord record{c.spec, {}, {}, true};
    for (const Samples& samples : c.repetitions) {
      RepResult r;
      const auto h = histogram_of(samples);
      if (load) {
        keep_histogram(r.metrics, r.histograms, HistogramKind::latency, *h);
        r.metrics.set(Metric::achieved_rps, c.rate);
        r.metrics.set(Metric::requests, static_cast<double>(samples.size()));
      } else {
        keep_histogram(r.metrics, r.histograms, HistogramKind::rtt, *h);
        r.metrics.set(Metric::msgs_per_s, c.rate);
      }
      record.repetitions.push_back(r);
    }
    record.aggregate = aggregate(record.repetitions);
    records.push_back(std::move(record));
  }
  Manifest manifest;
  manifest.run_id = name;
  manifest.hostname = name;
  JsonReporter reporter(path);
  reporter.on_start(manifest, records);
  reporter.on_finish(records);
  return path;
}

Samples joined(std::initializer_list<const Samples*> parts) {
  Samples all;
  for (const Samples* p : parts) all.insert(all.end(), p->begin(), p->end());
  return all;
}

TEST(Merge, RepetitionsPoolEverySampleExactly) {
  CellSpec pipe;
  pipe.transport = "pipe";
  const Samples a1 = lognormal_samples(20'000, 11, 9.0), a2 = lognormal_samples(15'000, 12, 9.3);
  const Samples b1 = lognormal_samples(30'000, 13, 10.0);  // a slower run: its tail must show
  const std::string a = write_results("a", {{pipe, {a1, a2}, 100}}, false);
  const std::string b = write_results("b", {{pipe, {b1}, 300}}, false);
  const std::vector<ResultFile> files{read_result_file(a), read_result_file(b)};
  const MergedResults merged = merge_results(files, MergeAs::repetitions);
  std::filesystem::remove(a);
  std::filesystem::remove(b);

  ASSERT_EQ(merged.cells.size(), 1u);
  const CellRecord& cell = merged.cells.front();
  EXPECT_EQ(cell.repetitions.size(), 3u);
  EXPECT_EQ(merged.manifest.run_id, "a;b");
  const Samples all = joined({&a1, &a2, &b1});
  const auto expected = histogram_of(all);
  const Metrics& m = cell.aggregate.median.metrics;
  EXPECT_EQ(m[Metric::latency_round_trips], static_cast<double>(all.size()));
  EXPECT_DOUBLE_EQ(m[Metric::rtt_mean_ns], expected->mean());
  EXPECT_DOUBLE_EQ(m[Metric::rtt_stddev_ns], expected->stddev());
  const std::array<std::pair<Metric, double>, 7> columns{{{Metric::rtt_min_ns, 0}, {Metric::rtt_p50_ns, 50}, {Metric::rtt_p90_ns, 90},
                                                         {Metric::rtt_p99_ns, 99}, {Metric::rtt_p999_ns, 99.9},
                                                         {Metric::rtt_p9999_ns, 99.99}, {Metric::rtt_max_ns, 100}}};
  for (const auto& [metric, p] : columns) {
    // The same figure as a histogram of every sample, and within the histogram's 1% of the sorted samples.
    EXPECT_EQ(m[metric], static_cast<double>(expected->percentile(p))) << info_of(metric).name;
    const auto exact = static_cast<double>(exact_percentile(all, p));
    EXPECT_NEAR(m[metric], exact, exact * 0.01) << info_of(metric).name;
  }
  EXPECT_EQ(m[Metric::msgs_per_s], 100);  // a rate is the median of the repetitions: 100, 100, 300
}

TEST(Merge, HostsAddUpRatesAndConnectionsAndPoolLatency) {
  CellSpec load;
  load.transport = "tcp";
  load.mode = Mode::process;
  load.architecture = "epoll";
  load.workload = "echo";
  load.connections = 100;
  load.offered_rps = 10'000;
  const Samples h1 = lognormal_samples(10'000, 21, 11.0), h2 = lognormal_samples(10'000, 22, 12.0);
  const Samples h1b = lognormal_samples(9'000, 23, 11.0), h2b = lognormal_samples(9'500, 24, 12.0);
  const std::string a = write_results("host1", {{load, {h1, h1b}, 9'990}}, true);
  const std::string b = write_results("host2", {{load, {h2, h2b}, 9'980}}, true);
  const std::vector<ResultFile> files{read_result_file(a), read_result_file(b)};
  const MergedResults merged = merge_results(files, MergeAs::hosts);

  ASSERT_EQ(merged.cells.size(), 1u);
  const CellRecord& cell = merged.cells.front();
  EXPECT_EQ(cell.spec.connections, 200u);
  EXPECT_EQ(cell.spec.offered_rps, 20'000);
  ASSERT_EQ(cell.repetitions.size(), 2u);
  const Metrics& first = cell.repetitions[0].metrics;
  EXPECT_EQ(first[Metric::achieved_rps], 19'970);
  EXPECT_EQ(first[Metric::requests], 20'000);
  const Samples together = joined({&h1, &h2});
  EXPECT_EQ(first[Metric::latency_p99_ns], static_cast<double>(histogram_of(together)->percentile(99)));
  const Samples all = joined({&h1, &h2, &h1b, &h2b});
  EXPECT_EQ(cell.aggregate.median.metrics[Metric::latency_p999_ns], static_cast<double>(histogram_of(all)->percentile(99.9)));

  // A cell one host did not run cannot be added up.
  CellSpec other = load;
  other.connections = 1000;
  const std::string c = write_results("host3", {{other, {h1}, 1}}, true);
  const std::vector<ResultFile> mismatched{read_result_file(a), read_result_file(c)};
  EXPECT_THROW(merge_results(mismatched, MergeAs::hosts), std::invalid_argument);
  for (const std::string& path : {a, b, c}) std::filesystem::remove(path);
}

TEST(ResultFile, NamesWhatIsWrong) {
  const std::string path = (std::filesystem::temp_directory_path() / fmt::format("merge_test_{}_bad.json", ::getpid())).string();
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(R"({"manifest": {}, "cells": [{"transport": "pipe", "mode": "fork"}]})", f);
    std::fclose(f);
  }
  try {
    read_result_file(path);
    ADD_FAILURE() << "a bad file was read";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
  {
    // A result file's own manifest, and a payload size that is not a whole number.
    const std::string good = write_results("cpu", {{CellSpec{}, {{100, 200}}, 1}}, false);
    nlohmann::json document = nlohmann::json::parse(std::ifstream(good));
    std::filesystem::remove(good);
    document["cells"][0]["payload_bytes"] = 1e30;
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(document.dump().c_str(), f);
    std::fclose(f);
  }
  try {
    read_result_file(path);
    ADD_FAILURE() << "a payload of 1e30 bytes was read";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("payload_bytes"), std::string::npos) << error.what();
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace ipcbench
