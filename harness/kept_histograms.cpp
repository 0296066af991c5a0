// A histogram's metrics, from one definition for the latency pass, the load generator and merge.
#include "harness/kept_histograms.hpp"

namespace ipcbench {
namespace {

constexpr bool percentiles_follow_min(const HistogramKindInfo& k) {
  const auto at = [&](std::size_t offset) { return kMetrics[static_cast<std::size_t>(k.min) + offset].name; };
  const std::string_view prefix = k.name;
  return at(0).starts_with(prefix) && at(0).ends_with("_min_ns") && at(1).ends_with("_p50_ns") &&
         at(2).ends_with("_p90_ns") && at(3).ends_with("_p99_ns") && at(4).ends_with("_p999_ns") &&
         at(5).ends_with("_p9999_ns") && at(6).starts_with(prefix) && at(6).ends_with("_max_ns");
}
constexpr bool every_kind_follows_min() {
  for (const HistogramKindInfo& k : kHistogramKinds)
    if (!percentiles_follow_min(k)) return false;
  return true;
}
static_assert(every_kind_follows_min());
static_assert(kHistogramPercentiles.size() == 5);

}  // namespace

void record_histogram_metrics(Metrics& metrics, HistogramKind kind, const LatencyHistogram& h) {
  if (h.count() == 0) return;
  const HistogramKindInfo& k = info_of(kind);
  const auto at = [&](std::size_t offset) { return static_cast<Metric>(static_cast<std::size_t>(k.min) + offset); };
  metrics.set(at(0), static_cast<double>(h.min()));
  for (std::size_t i = 0; i < kHistogramPercentiles.size(); ++i)
    metrics.set(at(1 + i), static_cast<double>(h.percentile(kHistogramPercentiles[i])));
  metrics.set(at(6), static_cast<double>(h.max()));
  if (k.count) metrics.set(*k.count, static_cast<double>(h.count()));
  if (k.mean) metrics.set(*k.mean, h.mean());
  if (k.stddev) metrics.set(*k.stddev, h.stddev());
}

void keep_histogram(Metrics& metrics, KeptHistograms& kept, HistogramKind kind, const LatencyHistogram& h) {
  record_histogram_metrics(metrics, kind, h);
  if (h.count() > 0) kept[static_cast<std::size_t>(kind)] = std::make_shared<const LatencyHistogram>(h);
}

}  // namespace ipcbench
