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

SideUsage per_round_trip(const SideReport& side, std::uint64_t round_trips) {
  if (!side.valid || round_trips == 0) return {};
  const double n = static_cast<double>(round_trips);
  return {true, static_cast<double>(side.cpu_ns) / n, static_cast<double>(side.voluntary_switches) / n,
          static_cast<double>(side.involuntary_switches) / n, side.cpu};
}

LatencySummary summarize(const LatencyHistogram& h) {
  const auto p = [&](double q) { return static_cast<double>(h.percentile(q)); };
  return {h.count(), static_cast<double>(h.min()), p(50), p(90), p(99), p(99.9), p(99.99),
          static_cast<double>(h.max()), h.mean(), h.stddev()};
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

Spread spread(const std::vector<double>& values) {
  if (values.empty()) return {};
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

RepResult collect(const ControlBlock& control, const SupervisionOutcome& outcome, WaitKind wait) {
  RepResult r;
  r.wait = wait;
  if (!outcome.ok) {
    r.status = Status::failed;
    r.reason = outcome.reason;
    r.interrupted = outcome.interrupted;
    return r;
  }
  r.round_trips = control.round_trips;
  r.elapsed_ns = control.elapsed_ns;
  r.msgs_per_s = r.elapsed_ns ? static_cast<double>(r.round_trips) * 1e9 / static_cast<double>(r.elapsed_ns) : 0;
  r.latency = summarize(control.latency);
  r.client = per_round_trip(control.client, control.all_round_trips);
  r.server = per_round_trip(control.server, control.all_round_trips);
  r.lost = control.lost;
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
  if (ok.empty()) {
    if (!repetitions.empty()) a.median.wait = repetitions.front().wait;
    return a;
  }
  const auto field = [&](auto member) {
    std::vector<double> values;
    for (const RepResult* r : ok) values.push_back(static_cast<double>(member(*r)));
    return values;
  };
  const auto med = [&](auto member) { return median(field(member)); };
  RepResult& m = a.median;
  m.wait = ok.front()->wait;
  m.round_trips = static_cast<std::uint64_t>(med([](const RepResult& r) { return r.round_trips; }));
  m.elapsed_ns = static_cast<std::uint64_t>(med([](const RepResult& r) { return r.elapsed_ns; }));
  m.msgs_per_s = med([](const RepResult& r) { return r.msgs_per_s; });
  m.latency.round_trips = static_cast<std::uint64_t>(med([](const RepResult& r) { return r.latency.round_trips; }));
  m.latency.min_ns = med([](const RepResult& r) { return r.latency.min_ns; });
  m.latency.p50_ns = med([](const RepResult& r) { return r.latency.p50_ns; });
  m.latency.p90_ns = med([](const RepResult& r) { return r.latency.p90_ns; });
  m.latency.p99_ns = med([](const RepResult& r) { return r.latency.p99_ns; });
  m.latency.p999_ns = med([](const RepResult& r) { return r.latency.p999_ns; });
  m.latency.p9999_ns = med([](const RepResult& r) { return r.latency.p9999_ns; });
  m.latency.max_ns = med([](const RepResult& r) { return r.latency.max_ns; });
  m.latency.mean_ns = med([](const RepResult& r) { return r.latency.mean_ns; });
  m.latency.stddev_ns = med([](const RepResult& r) { return r.latency.stddev_ns; });
  for (auto side : {&RepResult::client, &RepResult::server}) {
    SideUsage& s = m.*side;
    s.known = std::all_of(ok.begin(), ok.end(), [&](const RepResult* r) { return (r->*side).known; });
    s.cpu_ns_per_rt = med([&](const RepResult& r) { return (r.*side).cpu_ns_per_rt; });
    s.voluntary_switches_per_rt = med([&](const RepResult& r) { return (r.*side).voluntary_switches_per_rt; });
    s.involuntary_switches_per_rt = med([&](const RepResult& r) { return (r.*side).involuntary_switches_per_rt; });
    s.cpu = (ok.back()->*side).cpu;
  }
  m.lost = static_cast<std::uint64_t>(med([](const RepResult& r) { return r.lost; }));
  m.floor_rtt_ns = med([](const RepResult& r) { return r.floor_rtt_ns; });
  m.floor_ratio = med([](const RepResult& r) { return r.floor_ratio; });
  a.msgs_per_s = spread(field([](const RepResult& r) { return r.msgs_per_s; }));
  a.rtt_p50_ns = spread(field([](const RepResult& r) { return r.latency.p50_ns; }));
  a.stable = a.msgs_per_s.cv <= 0.10 && a.rtt_p50_ns.cv <= 0.10;
  return a;
}

}  // namespace ipcbench
