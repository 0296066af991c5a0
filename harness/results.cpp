// From control block to RepResult, and from repetitions to a cell's aggregate.
#include "harness/results.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <fmt/format.h>

#include "harness/control_block.hpp"
#include "harness/run_cell.hpp"
#include "harness/supervisor.hpp"

namespace ipcbench {
namespace {

constexpr double kStableCv = 0.10;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

Spread spread(const std::vector<double>& values) {
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  double mean = 0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  const double stddev = values.size() > 1 ? std::sqrt(squares / static_cast<double>(values.size() - 1)) : 0;
  return {*lo, *hi, mean > 0 ? stddev / mean : 0};
}

}  // namespace

void record_usage(RepResult& result, Role role, const SideReport& side, std::uint64_t round_trips) {
  if (!side.valid || round_trips == 0) return;
  const double n = static_cast<double>(round_trips);
  const bool client = role == Role::client;
  result.metrics.set(client ? Metric::cpu_client_ns_per_rt : Metric::cpu_server_ns_per_rt, static_cast<double>(side.cpu_ns) / n);
  result.metrics.set(client ? Metric::vcsw_client_per_rt : Metric::vcsw_server_per_rt,
                     static_cast<double>(side.voluntary_switches) / n);
  result.metrics.set(client ? Metric::ivcsw_client_per_rt : Metric::ivcsw_server_per_rt,
                     static_cast<double>(side.involuntary_switches) / n);
  (client ? result.client_cpu : result.server_cpu) = side.cpu;
}

RepResult collect(const ControlBlock& control, const SupervisionOutcome& outcome, WaitKind wait) {
  RepResult r;
  r.wait = wait;
  if (!outcome.ok) {
    r.status = Status::failed;
    r.reason = outcome.reason;
    r.interrupted = outcome.interrupted;
    return r;
  }
  Metrics& m = r.metrics;
  m.set(Metric::round_trips, static_cast<double>(control.round_trips));
  m.set(Metric::elapsed_ns, static_cast<double>(control.elapsed_ns));
  if (control.elapsed_ns != 0)
    m.set(Metric::msgs_per_s, static_cast<double>(control.round_trips) * 1e9 / static_cast<double>(control.elapsed_ns));
  keep_histogram(m, r.histograms, HistogramKind::rtt, control.latency);
  if (control.latency_timer_ns > 0) m.set(Metric::latency_timer_ns, control.latency_timer_ns);
  if (control.latency_timer_step_ns > 0) m.set(Metric::latency_timer_step_ns, control.latency_timer_step_ns);
  m.set(Metric::lost, static_cast<double>(control.lost));
  record_usage(r, Role::client, control.client, control.all_round_trips);
  record_usage(r, Role::server, control.server, control.all_round_trips);
  return r;
}

RepResult setup_failure(const std::exception& error, WaitKind wait) {
  RepResult r;
  r.status = Status::failed;
  r.reason = fmt::format("setup: {}", error.what());
  r.wait = wait;
  return r;
}

CellAggregate aggregate(const std::vector<RepResult>& repetitions) {
  CellAggregate a;
  std::vector<const RepResult*> ok;
  for (const RepResult& r : repetitions) {
    if (r.status == Status::ok) {
      ok.push_back(&r);
    } else if (a.status == Status::ok) {
      a.status = r.status;
      a.reason = r.reason;
    }
  }
  a.repetitions_ok = static_cast<int>(ok.size());
  if (!repetitions.empty()) a.median.wait = repetitions.front().wait;
  if (ok.empty()) return a;

  RepResult& m = a.median;
  m.wait = ok.front()->wait;
  m.client_cpu = ok.back()->client_cpu;
  m.server_cpu = ok.back()->server_cpu;
  m.server_manifest = ok.back()->server_manifest;
  a.stable = true;
  for (const MetricInfo& info : kMetrics) {
    std::vector<double> values;
    for (const RepResult* r : ok)
      if (r->metrics.known(info.metric)) values.push_back(r->metrics[info.metric]);
    if (values.empty()) continue;
    // A flag (slo_met) holds for the cell only if it held in every repetition: the median of
    // 1 and 0 would say a cell met its bound half the time it did not.
    m.metrics.set(info.metric, info.unit == "flag" ? *std::min_element(values.begin(), values.end()) : median(values));
    if (!info.spread) continue;
    Spread& s = a.spreads[static_cast<std::size_t>(info.metric)];
    s = spread(values);
    a.stable = a.stable && s.cv <= kStableCv;
  }
  return a;
}

std::optional<LatencyHistogram> merged_histogram(const std::vector<RepResult>& repetitions, HistogramKind kind) {
  std::optional<LatencyHistogram> merged;
  for (const RepResult& r : repetitions) {
    const auto& h = r.histograms[static_cast<std::size_t>(kind)];
    if (r.status != Status::ok || !h) continue;
    if (!merged) merged.emplace();
    merged->merge(*h);
  }
  return merged;
}

}  // namespace ipcbench
