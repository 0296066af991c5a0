// Metric and Metrics: every number a repetition measures, one enum, one table (name, unit, meaning) the schema and the reporters read.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

namespace ipcbench {

enum class Metric : std::uint8_t {
  round_trips,
  elapsed_ns,
  msgs_per_s,
  latency_round_trips,
  rtt_min_ns,
  rtt_p50_ns,
  rtt_p90_ns,
  rtt_p99_ns,
  rtt_p999_ns,
  rtt_p9999_ns,
  rtt_max_ns,
  rtt_mean_ns,
  rtt_stddev_ns,
  cpu_client_ns_per_rt,
  cpu_server_ns_per_rt,
  vcsw_client_per_rt,
  ivcsw_client_per_rt,
  vcsw_server_per_rt,
  ivcsw_server_per_rt,
  lost,
  floor_rtt_ns,
  floor_ratio,
};

struct MetricInfo {
  Metric metric;
  std::string_view name;  // the CSV column, the JSON key, the Google Benchmark counter
  std::string_view unit;
  bool integer;           // written without a fraction
  bool spread;            // aggregate rows also carry its _min, _max and _cv
  std::string_view meaning;
};

// Every metric of an aggregate row is the median of the successful repetitions' values.
inline constexpr std::array kMetrics{
    MetricInfo{Metric::round_trips, "round_trips", "count", true, false, "round trips in the throughput pass"},
    MetricInfo{Metric::elapsed_ns, "elapsed_ns", "ns", true, false, "wall time of the throughput pass"},
    MetricInfo{Metric::msgs_per_s, "msgs_per_s", "1/s", false, true,
               "round trips per second in the throughput pass (no clock read per message)"},
    MetricInfo{Metric::latency_round_trips, "latency_round_trips", "count", true, false,
               "round trips timestamped in the latency pass"},
    MetricInfo{Metric::rtt_min_ns, "rtt_min_ns", "ns", true, false, "shortest round trip of the latency pass"},
    MetricInfo{Metric::rtt_p50_ns, "rtt_p50_ns", "ns", true, true, "median round trip (within 1%: log-linear histogram)"},
    MetricInfo{Metric::rtt_p90_ns, "rtt_p90_ns", "ns", true, false, "90th percentile round trip"},
    MetricInfo{Metric::rtt_p99_ns, "rtt_p99_ns", "ns", true, false, "99th percentile round trip"},
    MetricInfo{Metric::rtt_p999_ns, "rtt_p999_ns", "ns", true, false, "99.9th percentile round trip"},
    MetricInfo{Metric::rtt_p9999_ns, "rtt_p9999_ns", "ns", true, false, "99.99th percentile round trip"},
    MetricInfo{Metric::rtt_max_ns, "rtt_max_ns", "ns", true, false, "longest round trip of the latency pass"},
    MetricInfo{Metric::rtt_mean_ns, "rtt_mean_ns", "ns", false, false, "mean round trip of the latency pass"},
    MetricInfo{Metric::rtt_stddev_ns, "rtt_stddev_ns", "ns", false, false, "standard deviation of the round trips"},
    MetricInfo{Metric::cpu_client_ns_per_rt, "cpu_client_ns_per_rt", "ns", false, false,
               "user+system CPU time of the client per round trip (getrusage of its thread), over all round trips"},
    MetricInfo{Metric::cpu_server_ns_per_rt, "cpu_server_ns_per_rt", "ns", false, false,
               "the same for the server; host mode: as the server reported it"},
    MetricInfo{Metric::vcsw_client_per_rt, "vcsw_client_per_rt", "count", false, false,
               "voluntary context switches of the client per round trip"},
    MetricInfo{Metric::ivcsw_client_per_rt, "ivcsw_client_per_rt", "count", false, false,
               "involuntary context switches of the client per round trip"},
    MetricInfo{Metric::vcsw_server_per_rt, "vcsw_server_per_rt", "count", false, false,
               "voluntary context switches of the server per round trip"},
    MetricInfo{Metric::ivcsw_server_per_rt, "ivcsw_server_per_rt", "count", false, false,
               "involuntary context switches of the server per round trip"},
    MetricInfo{Metric::lost, "lost", "count", true, false, "requests resent because no reply came in time (datagram transports)"},
    MetricInfo{Metric::floor_rtt_ns, "floor_rtt_ns", "ns", false, false,
               "spinning transports under cross: the cache-line round trip between the same CPUs, measured just before "
               "and after the repetition"},
    MetricInfo{Metric::floor_ratio, "floor_ratio", "ratio", false, false,
               "the repetition's mean round trip (1e9 / msgs_per_s) over floor_rtt_ns"},
};

inline constexpr std::size_t kMetricCount = kMetrics.size();

constexpr bool metrics_in_enum_order() {
  for (std::size_t i = 0; i < kMetricCount; ++i)
    if (static_cast<std::size_t>(kMetrics[i].metric) != i) return false;
  return true;
}
static_assert(metrics_in_enum_order(), "kMetrics is indexed by Metric");

constexpr const MetricInfo& info_of(Metric metric) noexcept { return kMetrics[static_cast<std::size_t>(metric)]; }

// One value per metric; NaN where the metric was not measured or does not apply.
class Metrics {
 public:
  Metrics() noexcept { values_.fill(std::numeric_limits<double>::quiet_NaN()); }
  [[nodiscard]] double operator[](Metric metric) const noexcept { return values_[static_cast<std::size_t>(metric)]; }
  [[nodiscard]] bool known(Metric metric) const noexcept { return !std::isnan((*this)[metric]); }
  // 0 where the metric is unknown: for arithmetic that must not see NaN.
  [[nodiscard]] double or_zero(Metric metric) const noexcept { return known(metric) ? (*this)[metric] : 0; }
  void set(Metric metric, double value) noexcept { values_[static_cast<std::size_t>(metric)] = value; }

 private:
  std::array<double, kMetricCount> values_;
};

}  // namespace ipcbench
