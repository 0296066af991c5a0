// The latency histograms a repetition keeps past its percentiles: for the JSON buckets, .hgrm files and exact merges.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

#include "harness/histogram.hpp"
#include "harness/metrics.hpp"

namespace ipcbench {

// A histogram's name is the prefix of the metrics it fills: rtt_p50_ns, latency_p99_ns, ...
enum class HistogramKind : std::uint8_t { rtt, latency, uncorrected, first, last };

struct HistogramKindInfo {
  HistogramKind kind;
  std::string_view name;
  Metric min;  // then p50, p90, p99, p99.9, p99.99 and max, in this order
  std::optional<Metric> count, mean, stddev;
};

inline constexpr std::array kHistogramKinds{
    // ping-pong: the latency pass's round trips
    HistogramKindInfo{HistogramKind::rtt, "rtt", Metric::rtt_min_ns, Metric::latency_round_trips, Metric::rtt_mean_ns,
                      Metric::rtt_stddev_ns},
    // load: from each request's due time (corrected for coordinated omission), and from its actual send
    HistogramKindInfo{HistogramKind::latency, "latency", Metric::latency_min_ns, std::nullopt, std::nullopt, std::nullopt},
    HistogramKindInfo{HistogramKind::uncorrected, "uncorrected", Metric::uncorrected_min_ns, std::nullopt, std::nullopt,
                      std::nullopt},
    // fanout: from a message's send to its first and to its last subscriber
    HistogramKindInfo{HistogramKind::first, "first", Metric::first_min_ns, std::nullopt, Metric::first_mean_ns, std::nullopt},
    HistogramKindInfo{HistogramKind::last, "last", Metric::last_min_ns, std::nullopt, Metric::last_mean_ns, std::nullopt},
};

inline constexpr std::array kHistogramPercentiles{50.0, 90.0, 99.0, 99.9, 99.99};

constexpr const HistogramKindInfo& info_of(HistogramKind kind) noexcept {
  return kHistogramKinds[static_cast<std::size_t>(kind)];
}
static_assert(info_of(HistogramKind::last).kind == HistogramKind::last, "kHistogramKinds is indexed by kind");

// Shared, never changed once kept: a cell's aggregate and its reporters read the same copy.
using KeptHistograms = std::array<std::shared_ptr<const LatencyHistogram>, kHistogramKinds.size()>;

// The kind's metrics from h; nothing when h is empty.
void record_histogram_metrics(Metrics& metrics, HistogramKind kind, const LatencyHistogram& h);

// Records the metrics and keeps a copy of h (none when it is empty).
void keep_histogram(Metrics& metrics, KeptHistograms& kept, HistogramKind kind, const LatencyHistogram& h);

}  // namespace ipcbench
