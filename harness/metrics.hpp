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
  latency_timer_ns,
  latency_timer_step_ns,
  cpu_client_ns_per_rt,
  cpu_server_ns_per_rt,
  vcsw_client_per_rt,
  ivcsw_client_per_rt,
  vcsw_server_per_rt,
  ivcsw_server_per_rt,
  lost,
  floor_rtt_ns,
  floor_ratio,
  floor_lines,
  // Load cells (`ipcbench load`); empty on ping-pong rows, as the ping-pong metrics are on load rows.
  achieved_rps,
  requests,
  missed,
  latency_min_ns,
  latency_p50_ns,
  latency_p90_ns,
  latency_p99_ns,
  latency_p999_ns,
  latency_p9999_ns,
  latency_max_ns,
  uncorrected_min_ns,
  uncorrected_p50_ns,
  uncorrected_p90_ns,
  uncorrected_p99_ns,
  uncorrected_p999_ns,
  uncorrected_p9999_ns,
  uncorrected_max_ns,
  connections_reached,
  connect_mean_ns,
  connect_max_ns,
  errors_connect,
  errors_read,
  errors_write,
  errors_timeout,
  errors_protocol,
  errors_reset,
  server_threads,
  cpu_server_ns_per_req,
  vcsw_server_per_req,
  ivcsw_server_per_req,
  server_rss_bytes,
  rss_idle_per_conn_bytes,
  rss_active_per_conn_bytes,
  kernel_tcp_mem_per_conn_bytes,
  cpu_generator_ns_per_req,
  slo_met,
  // Fan-out cells (`ipcbench fanout`).
  published_per_s,
  fanout_rate_messages,
  fanout_messages,
  first_min_ns,
  first_p50_ns,
  first_p90_ns,
  first_p99_ns,
  first_p999_ns,
  first_p9999_ns,
  first_max_ns,
  first_mean_ns,
  last_min_ns,
  last_p50_ns,
  last_p90_ns,
  last_p99_ns,
  last_p999_ns,
  last_p9999_ns,
  last_max_ns,
  last_mean_ns,
  lost_deliveries,
  loss_ratio,
  cpu_publisher_ns_per_msg,
  cpu_subscriber_ns_per_msg,
};

struct MetricInfo {
  Metric metric;
  std::string_view name;  // the CSV column, the JSON key, the Google Benchmark counter
  std::string_view unit;
  bool integer;           // written without a fraction
  bool spread;            // aggregate rows also carry its _min, _max and _cv
  std::string_view meaning;
};

// Every metric of an aggregate row is the median of the successful repetitions' values, but
// a flag's, which is their minimum (all of them).
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
    MetricInfo{Metric::latency_timer_ns, "latency_timer_ns", "ns", false, false,
               "what the latency pass adds to each round trip it times (one clock read, its conversion, the histogram "
               "record), measured on the client's CPU just before the pass; in every rtt_* figure, not subtracted"},
    MetricInfo{Metric::latency_timer_step_ns, "latency_timer_step_ns", "ns", false, false,
               "the step in which the latency pass's clock advances on the client's CPU: every sample the pass "
               "records is a whole number of steps, so a rtt_p50_ns can stand up to one step above the round trip"},
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
               "spinning transports under cross: the round trip of as many cache lines as the message fills between the "
               "same CPUs, measured just before and after the repetition"},
    MetricInfo{Metric::floor_ratio, "floor_ratio", "ratio", false, false,
               "the repetition's mean round trip (1e9 / msgs_per_s) over floor_rtt_ns"},
    MetricInfo{Metric::floor_lines, "floor_lines", "count", true, false,
               "cache lines the floor moved each way: as many as the cell's message and its sequence word fill"},
    MetricInfo{Metric::achieved_rps, "achieved_rps", "1/s", false, true,
               "load: replies received in the measured window per second (what the server delivered, not what was asked)"},
    MetricInfo{Metric::requests, "requests", "count", true, false, "load: replies to requests due in the measured window"},
    MetricInfo{Metric::missed, "missed", "count", true, false,
               "load: requests due in the window that never went out (their connection was waiting for a late reply)"},
    MetricInfo{Metric::latency_min_ns, "latency_min_ns", "ns", true, false, "load: shortest latency, from the request's due time"},
    MetricInfo{Metric::latency_p50_ns, "latency_p50_ns", "ns", true, false,
               "load: median latency from the due time (corrected for coordinated omission)"},
    MetricInfo{Metric::latency_p90_ns, "latency_p90_ns", "ns", true, false, "load: 90th percentile, from the due time"},
    MetricInfo{Metric::latency_p99_ns, "latency_p99_ns", "ns", true, true, "load: 99th percentile, from the due time"},
    MetricInfo{Metric::latency_p999_ns, "latency_p999_ns", "ns", true, false, "load: 99.9th percentile, from the due time"},
    MetricInfo{Metric::latency_p9999_ns, "latency_p9999_ns", "ns", true, false, "load: 99.99th percentile, from the due time"},
    MetricInfo{Metric::latency_max_ns, "latency_max_ns", "ns", true, false, "load: longest latency, from the due time"},
    MetricInfo{Metric::uncorrected_min_ns, "uncorrected_min_ns", "ns", true, false, "load: shortest latency, from the actual send"},
    MetricInfo{Metric::uncorrected_p50_ns, "uncorrected_p50_ns", "ns", true, false,
               "load: median latency from the actual send (what a closed-loop tool reports)"},
    MetricInfo{Metric::uncorrected_p90_ns, "uncorrected_p90_ns", "ns", true, false, "load: 90th percentile, from the actual send"},
    MetricInfo{Metric::uncorrected_p99_ns, "uncorrected_p99_ns", "ns", true, false, "load: 99th percentile, from the actual send"},
    MetricInfo{Metric::uncorrected_p999_ns, "uncorrected_p999_ns", "ns", true, false, "load: 99.9th percentile, from the actual send"},
    MetricInfo{Metric::uncorrected_p9999_ns, "uncorrected_p9999_ns", "ns", true, false,
               "load: 99.99th percentile, from the actual send"},
    MetricInfo{Metric::uncorrected_max_ns, "uncorrected_max_ns", "ns", true, false, "load: longest latency, from the actual send"},
    MetricInfo{Metric::connections_reached, "connections_reached", "count", true, false,
               "load: connections established (churn: connections made and closed in the window)"},
    MetricInfo{Metric::connect_mean_ns, "connect_mean_ns", "ns", false, false, "load: mean time from connect() to established"},
    MetricInfo{Metric::connect_max_ns, "connect_max_ns", "ns", true, false, "load: longest connect"},
    MetricInfo{Metric::errors_connect, "errors_connect", "count", true, false, "load: connects that failed or timed out"},
    MetricInfo{Metric::errors_read, "errors_read", "count", true, false, "load: reads that failed"},
    MetricInfo{Metric::errors_write, "errors_write", "count", true, false, "load: writes that failed"},
    MetricInfo{Metric::errors_timeout, "errors_timeout", "count", true, false, "load: requests with no reply within the timeout"},
    MetricInfo{Metric::errors_protocol, "errors_protocol", "count", true, false,
               "load: wrong replies (another request's, another connection's, a bad status or length)"},
    MetricInfo{Metric::errors_reset, "errors_reset", "count", true, false, "load: connections reset or closed by the server"},
    MetricInfo{Metric::server_threads, "server_threads", "count", true, false, "load: threads of the server process during the window"},
    MetricInfo{Metric::cpu_server_ns_per_req, "cpu_server_ns_per_req", "ns", false, false,
               "load: user+system CPU of the whole server process in the window, per reply"},
    MetricInfo{Metric::vcsw_server_per_req, "vcsw_server_per_req", "count", false, false,
               "load: the server's voluntary context switches per reply"},
    MetricInfo{Metric::ivcsw_server_per_req, "ivcsw_server_per_req", "count", false, false,
               "load: the server's involuntary context switches per reply"},
    MetricInfo{Metric::server_rss_bytes, "server_rss_bytes", "bytes", true, false,
               "load: the server's resident memory at the end of the window"},
    MetricInfo{Metric::rss_idle_per_conn_bytes, "rss_idle_per_conn_bytes", "bytes", false, false,
               "load: (resident memory with every connection open and idle - before any) / connections"},
    MetricInfo{Metric::rss_active_per_conn_bytes, "rss_active_per_conn_bytes", "bytes", false, false,
               "load: (resident memory at the end of the window - before any connection) / connections"},
    MetricInfo{Metric::kernel_tcp_mem_per_conn_bytes, "kernel_tcp_mem_per_conn_bytes", "bytes", false, false,
               "load: growth of the kernel's TCP buffer memory from before any connection to the end of the window "
               "(/proc/net/sockstat: machine-wide, both ends of every connection, queued data included) / connections"},
    MetricInfo{Metric::cpu_generator_ns_per_req, "cpu_generator_ns_per_req", "ns", false, false,
               "load: the generator thread's CPU in the window per reply; it polls once a due time is under 20 us away, "
               "so at high rates this includes that wait"},
    MetricInfo{Metric::slo_met, "slo_met", "flag", true, false,
               "load: 1 when every --slo bound held, no request failed and achieved_rps reached 97% of offered; "
               "an aggregate row's is 1 only if every repetition's was"},
    MetricInfo{Metric::published_per_s, "published_per_s", "1/s", false, true,
               "fanout: messages per second in the rate pass, from its first send until its last message reached the "
               "last subscriber, the publisher never more than --window messages ahead of the slowest"},
    MetricInfo{Metric::fanout_rate_messages, "fanout_rate_messages", "count", true, false, "fanout: messages in the rate pass"},
    MetricInfo{Metric::fanout_messages, "fanout_messages", "count", true, false,
               "fanout: messages in the latency pass, each timed from its send (or its due time under --rate) to its "
               "arrival at every subscriber"},
    MetricInfo{Metric::first_min_ns, "first_min_ns", "ns", true, false, "fanout: shortest time to the first subscriber"},
    MetricInfo{Metric::first_p50_ns, "first_p50_ns", "ns", true, true,
               "fanout: median time from a message's send to its arrival at the first subscriber that read it"},
    MetricInfo{Metric::first_p90_ns, "first_p90_ns", "ns", true, false, "fanout: 90th percentile to the first subscriber"},
    MetricInfo{Metric::first_p99_ns, "first_p99_ns", "ns", true, false, "fanout: 99th percentile to the first subscriber"},
    MetricInfo{Metric::first_p999_ns, "first_p999_ns", "ns", true, false, "fanout: 99.9th percentile to the first subscriber"},
    MetricInfo{Metric::first_p9999_ns, "first_p9999_ns", "ns", true, false, "fanout: 99.99th percentile to the first subscriber"},
    MetricInfo{Metric::first_max_ns, "first_max_ns", "ns", true, false, "fanout: longest time to the first subscriber"},
    MetricInfo{Metric::first_mean_ns, "first_mean_ns", "ns", false, false, "fanout: mean time to the first subscriber"},
    MetricInfo{Metric::last_min_ns, "last_min_ns", "ns", true, false, "fanout: shortest time to the last subscriber"},
    MetricInfo{Metric::last_p50_ns, "last_p50_ns", "ns", true, true,
               "fanout: median time from a message's send until every subscriber had it (messages that all of them read)"},
    MetricInfo{Metric::last_p90_ns, "last_p90_ns", "ns", true, false, "fanout: 90th percentile to the last subscriber"},
    MetricInfo{Metric::last_p99_ns, "last_p99_ns", "ns", true, false, "fanout: 99th percentile to the last subscriber"},
    MetricInfo{Metric::last_p999_ns, "last_p999_ns", "ns", true, false, "fanout: 99.9th percentile to the last subscriber"},
    MetricInfo{Metric::last_p9999_ns, "last_p9999_ns", "ns", true, false, "fanout: 99.99th percentile to the last subscriber"},
    MetricInfo{Metric::last_max_ns, "last_max_ns", "ns", true, false, "fanout: longest time to the last subscriber"},
    MetricInfo{Metric::last_mean_ns, "last_mean_ns", "ns", false, false, "fanout: mean time to the last subscriber"},
    MetricInfo{Metric::lost_deliveries, "lost_deliveries", "count", true, false,
               "fanout: (message, subscriber) pairs never delivered, over the warm-up and both passes"},
    MetricInfo{Metric::loss_ratio, "loss_ratio", "ratio", false, false,
               "fanout: lost_deliveries over every message sent times the subscribers"},
    MetricInfo{Metric::cpu_publisher_ns_per_msg, "cpu_publisher_ns_per_msg", "ns", false, false,
               "fanout: user+system CPU of the publisher's process in the rate pass, per message"},
    MetricInfo{Metric::cpu_subscriber_ns_per_msg, "cpu_subscriber_ns_per_msg", "ns", false, false,
               "fanout: the same for a subscriber's process (their mean), per message: a spinner's or yielder's cost shows here"},
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
