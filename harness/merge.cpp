// Pooling repetitions and adding up hosts: the histograms make both exact.
#include "harness/merge.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>
#include <stdexcept>

namespace ipcbench {
namespace {

// What several hosts' figures add up to: how much each did, not how it did it.
constexpr std::array kAdditiveMetrics{
    Metric::round_trips,    Metric::msgs_per_s,          Metric::lost,           Metric::achieved_rps,
    Metric::requests,       Metric::missed,              Metric::connections_reached,
    Metric::errors_connect, Metric::errors_read,         Metric::errors_write,   Metric::errors_timeout,
    Metric::errors_protocol, Metric::errors_reset,
};

bool additive(Metric metric) {
  return std::find(kAdditiveMetrics.begin(), kAdditiveMetrics.end(), metric) != kAdditiveMetrics.end();
}

void record_merged_histograms(RepResult& result, const std::vector<RepResult>& parts) {
  for (const HistogramKindInfo& kind : kHistogramKinds) {
    auto merged = merged_histogram(parts, kind.kind);
    if (!merged) continue;
    record_histogram_metrics(result.metrics, kind.kind, *merged);
    result.histograms[static_cast<std::size_t>(kind.kind)] = std::make_shared<const LatencyHistogram>(std::move(*merged));
  }
}

// Repetition i of every host, as one.
RepResult add_hosts(const std::vector<RepResult>& parts) {
  RepResult sum = parts.front();
  sum.histograms = {};
  for (const RepResult& part : parts)
    if (part.status != Status::ok) return part;
  for (const MetricInfo& info : kMetrics) {
    double total = 0, lowest = 0;
    int known = 0;
    for (const RepResult& part : parts) {
      if (!part.metrics.known(info.metric)) continue;
      const double value = part.metrics[info.metric];
      total += value;
      lowest = known == 0 ? value : std::min(lowest, value);
      ++known;
    }
    if (known == 0) continue;
    const double combined = additive(info.metric) ? total : info.unit == "flag" ? lowest : total / known;
    sum.metrics.set(info.metric, combined);
  }
  record_merged_histograms(sum, parts);
  return sum;
}

void aggregate_merged(CellRecord& record) {
  record.aggregate = aggregate(record.repetitions);
  record.aggregate.median.histograms = {};
  record_merged_histograms(record.aggregate.median, record.repetitions);
}

std::string cell_label(const CellRecord& record) {
  std::string label;
  for (const std::string& value : key_values(record))
    if (!value.empty()) label += (label.empty() ? "" : "/") + value;
  return label;
}

std::string joined_unique(std::span<const ResultFile> files, std::string Manifest::*field) {
  std::vector<std::string> seen;
  for (const ResultFile& f : files)
    if (std::find(seen.begin(), seen.end(), f.manifest.*field) == seen.end()) seen.push_back(f.manifest.*field);
  std::string text;
  for (const std::string& s : seen) text += (text.empty() ? "" : ";") + s;
  return text;
}

}  // namespace

std::string_view to_string(MergeAs as) noexcept { return as == MergeAs::hosts ? "hosts" : "repetitions"; }

MergedResults merge_results(std::span<const ResultFile> files, MergeAs as) {
  MergedResults out;
  if (files.empty()) return out;
  out.manifest = files.front().manifest;
  out.manifest.run_id = joined_unique(files, &Manifest::run_id);
  out.manifest.hostname = joined_unique(files, &Manifest::hostname);

  // Cells in the order they first appear; each with its records from every file.
  std::map<std::vector<std::string>, std::size_t> index;
  std::vector<std::vector<const CellRecord*>> sources;
  for (const ResultFile& file : files)
    for (const CellRecord& cell : file.cells) {
      const auto [it, added] = index.try_emplace(key_values(cell), sources.size());
      if (added) sources.emplace_back();
      sources[it->second].push_back(&cell);
    }

  for (const std::vector<const CellRecord*>& records : sources) {
    if (as == MergeAs::hosts && records.size() != files.size())
      throw std::invalid_argument(fmt::format("--as hosts: cell {} is in {} of the {} files; every host must have run the same cells",
                                              cell_label(*records.front()), records.size(), files.size()));
    CellRecord merged{records.front()->spec, {}, records.front()->aggregate, true};
    if (as == MergeAs::repetitions) {
      for (const CellRecord* r : records) merged.repetitions.insert(merged.repetitions.end(), r->repetitions.begin(), r->repetitions.end());
    } else {
      std::size_t common = records.front()->repetitions.size();
      for (const CellRecord* r : records) common = std::min(common, r->repetitions.size());
      merged.spec.connections = 0;
      double offered = 0;
      for (const CellRecord* r : records) {
        merged.spec.connections += r->spec.connections;
        offered += r->spec.offered_rps.value_or(0);
      }
      if (merged.spec.offered_rps) merged.spec.offered_rps = offered;
      for (std::size_t i = 0; i < common; ++i) {
        std::vector<RepResult> parts;
        for (const CellRecord* r : records) parts.push_back(r->repetitions[i]);
        merged.repetitions.push_back(add_hosts(parts));
      }
    }
    if (!merged.repetitions.empty()) aggregate_merged(merged);
    out.cells.push_back(std::move(merged));
  }
  return out;
}

}  // namespace ipcbench
