// The load table: what was offered and what was achieved side by side, corrected and uncorrected latency, cost per request, capacity.
#include "load/load_table.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <tuple>

#include "harness/parse.hpp"
#include "load/load_cell.hpp"

namespace ipcbench {
namespace {

constexpr std::string_view kRow = "{:<9} | {:<5} | {:>6} | {:>7} | {:>9} | {:>8} | {:>8} | {:>8} | {:>8} | {:>10} | {:>8} | {:>9} | {:>6} | {}\n";

std::string offered(const CellSpec& spec) {
  const double rate = spec.offered_rps.value_or(0);
  return rate == 0 ? "max" : format_rate(rate);
}

std::string count_text(std::size_t n) { return n < 1000 ? fmt::format("{}", n) : format_rate(static_cast<double>(n)); }

std::string latency(const Metrics& m, Metric metric) { return m.known(metric) ? format_duration_ns(m[metric]) : "-"; }

std::uint64_t errors(const Metrics& m) {
  double total = 0;
  for (Metric e : {Metric::errors_connect, Metric::errors_read, Metric::errors_write, Metric::errors_timeout,
                   Metric::errors_protocol, Metric::errors_reset})
    total += m.or_zero(e);
  return static_cast<std::uint64_t>(total);
}

}  // namespace

void LoadTableReporter::on_start(const Manifest& manifest, std::span<const CellRecord>) {
  fmt::print(out_, "ipcbench load on {} ({} CPUs, {}); latency from each request's due time, uncorrected from its send\n",
             manifest.cpu_model, manifest.cpu_count, manifest.kernel);
  fmt::print(out_, fmt::runtime(kRow), "Arch", "Work", "Conns", "Offered", "Achieved", "p50", "p99", "p99.9", "max",
             "uncorr p99", "CPU/req", "Mem/conn", "Errors", "SLO");
  std::fflush(out_);
}

void LoadTableReporter::on_cell_done(const CellRecord& cell) {
  const CellSpec& s = cell.spec;
  const std::string conns = count_text(s.connections);
  if (cell.aggregate.status != Status::ok) {
    notes_.push_back(fmt::format("{} {} {} conns {}: {}: {}", s.architecture, s.workload, conns, offered(s),
                                 to_string(cell.aggregate.status), cell.aggregate.reason));
    fmt::print(out_, fmt::runtime(kRow), s.architecture, s.workload, conns, offered(s),
               fmt::format("{} [{}]", to_string(cell.aggregate.status), notes_.size()), "", "", "", "", "", "", "", "", "");
    std::fflush(out_);
    return;
  }
  const Metrics& m = cell.aggregate.median.metrics;
  std::string achieved = format_rate(m.or_zero(Metric::achieved_rps));
  const double rate = s.offered_rps.value_or(0);
  if (!reached_offered_rate(s, m.or_zero(Metric::achieved_rps))) {
    notes_.push_back(fmt::format("{} {} {} conns: achieved {} of {} offered ({:.0f}%): the server (or the generator) "
                                 "could not keep up; {} requests never went out",
                                 s.architecture, s.workload, conns, achieved, offered(s),
                                 100 * m.or_zero(Metric::achieved_rps) / rate, m.or_zero(Metric::missed)));
    achieved += fmt::format(" ![{}]", notes_.size());
  }
  const double reached = m.or_zero(Metric::connections_reached);
  if (s.workload != "churn" && reached < static_cast<double>(s.connections)) {
    notes_.push_back(fmt::format("{} {}: {} of {} connections reached", s.architecture, s.workload, reached, s.connections));
    achieved += fmt::format(" [{}]", notes_.size());
  }
  const std::string cpu = m.known(Metric::cpu_server_ns_per_req) ? format_duration_ns(m[Metric::cpu_server_ns_per_req]) : "-";
  const std::string memory =
      m.known(Metric::rss_active_per_conn_bytes) ? format_size(static_cast<std::size_t>(std::max(0.0, m[Metric::rss_active_per_conn_bytes]))) : "-";
  const std::string slo = !m.known(Metric::slo_met) ? "" : m[Metric::slo_met] > 0 ? "met" : "missed";
  fmt::print(out_, fmt::runtime(kRow), s.architecture, s.workload, conns, offered(s), achieved,
             latency(m, Metric::latency_p50_ns), latency(m, Metric::latency_p99_ns), latency(m, Metric::latency_p999_ns),
             latency(m, Metric::latency_max_ns), latency(m, Metric::uncorrected_p99_ns), cpu, memory, errors(m), slo);
  std::fflush(out_);
}

// Memory per connection as the slope of the server's resident memory over connection counts:
// what one more connection costs, without the fixed cost (arenas, a first thread's stack)
// that dividing one cell's growth by its connections spreads over them.
void LoadTableReporter::print_memory_slopes(std::span<const CellRecord> cells) {
  using Key = std::tuple<std::string, std::string, std::size_t>;
  struct Growth {
    double idle = 0, active = 0;  // bytes above the server's before-any-connection sample
  };
  std::map<Key, std::map<std::size_t, Growth>> growth;
  std::vector<Key> order;
  for (const CellRecord& c : cells) {
    const Metrics& m = c.aggregate.median.metrics;
    if (c.aggregate.status != Status::ok || !m.known(Metric::rss_idle_per_conn_bytes)) continue;
    const Key key{c.spec.architecture, c.spec.workload, c.spec.payload_bytes};
    if (!growth.contains(key)) order.push_back(key);
    const double n = static_cast<double>(c.spec.connections);
    Growth& g = growth[key][c.spec.connections];
    g.idle = m[Metric::rss_idle_per_conn_bytes] * n;
    g.active = std::max(g.active, m.or_zero(Metric::rss_active_per_conn_bytes) * n);  // the busiest cell's
  }
  bool header = false;
  for (const Key& key : order) {
    const auto& by_count = growth[key];
    if (by_count.size() < 2) continue;
    const auto& [low_n, low] = *by_count.begin();
    const auto& [high_n, high] = *by_count.rbegin();
    const double span = static_cast<double>(high_n - low_n);
    if (!header) fmt::print(out_, "\nServer memory per connection, the slope between the fewest and the most connections:\n");
    header = true;
    fmt::print(out_, "  {:<9} {:<5} {:>6} B {:>6}..{:<6} conns: idle {:>9}, busiest {:>9}\n", std::get<0>(key), std::get<1>(key),
               std::get<2>(key), count_text(low_n), count_text(high_n),
               format_size(static_cast<std::size_t>(std::max(0.0, (high.idle - low.idle) / span))),
               format_size(static_cast<std::size_t>(std::max(0.0, (high.active - low.active) / span))));
  }
}

void LoadTableReporter::on_finish(std::span<const CellRecord> cells) {
  // Capacity: the highest offered rate that met the SLO, per architecture, workload, size
  // and connection count. The closed loop (max) is capacity without a bound: shown beside.
  using Key = std::tuple<std::string, std::string, std::size_t, std::size_t>;
  std::map<Key, std::pair<double, double>> capacity;  // best rate meeting the SLO, closed-loop achieved
  std::vector<Key> order;
  for (const CellRecord& c : cells) {
    const Key key{c.spec.architecture, c.spec.workload, c.spec.payload_bytes, c.spec.connections};
    if (!capacity.contains(key)) order.push_back(key);
    auto& [best, closed] = capacity[key];
    if (c.aggregate.status != Status::ok) continue;
    const Metrics& m = c.aggregate.median.metrics;
    const double rate = c.spec.offered_rps.value_or(0);
    if (rate == 0) closed = m.or_zero(Metric::achieved_rps);
    else if (m.or_zero(Metric::slo_met) > 0) best = std::max(best, rate);
  }
  fmt::print(out_, "\nCapacity at {} (highest offered rate that met it) and the closed loop's throughput:\n", slo_label_);
  for (const Key& key : order) {
    const auto& [best, closed] = capacity[key];
    const std::string closed_text = closed > 0 ? fmt::format("   closed loop {:>8}", format_rate(closed)) : "";
    fmt::print(out_, "  {:<9} {:<5} {:>6} B {:>6} conns: {:>8}{}\n", std::get<0>(key), std::get<1>(key), std::get<2>(key),
               count_text(std::get<3>(key)), best > 0 ? format_rate(best) : "none", closed_text);
  }
  print_memory_slopes(cells);
  for (std::size_t i = 0; i < notes_.size(); ++i) fmt::print(out_, "[{}] {}\n", i + 1, notes_[i]);
  std::fflush(out_);
}

}  // namespace ipcbench
