// One repetition of a load cell: a fresh server of the cell's architecture in its own pinned process, the generator in another, the supervisor sampling the server between phases.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "harness/results.hpp"
#include "harness/settings.hpp"
#include "harness/sys/socket_address.hpp"
#include "load/generator.hpp"
#include "servers/workload.hpp"

namespace ipcbench {

// A bound a cell must meet, e.g. p99=1ms.
struct SloBound {
  Metric metric;      // a corrected-latency percentile
  std::string label;  // "p99"
  std::uint64_t max_ns;
};

struct LoadSettings {
  std::vector<int> server_cpus;     // the server process is pinned to these
  std::vector<int> generator_cpus;  // the generator process to these
  std::chrono::nanoseconds warmup{std::chrono::milliseconds(500)};
  std::chrono::nanoseconds duration{std::chrono::seconds(2)};
  std::chrono::milliseconds timeout{2000};
  std::optional<sys::SocketAddress> connect;  // drive this server instead of starting one
  unsigned workers = 0;
  std::uint64_t kv_keys = 10000;
  double kv_get_ratio = 0.9;
  EchoFrame frame = EchoFrame::ipcbench;
  std::vector<SloBound> slo;
};

// A load cell's spec lives in CellSpec's load fields (architecture, workload, connections,
// offered_rps) and payload_bytes.
RepResult run_load_repetition(const CellSpec& cell, const LoadSettings& settings);

// A cell reached its offered rate when it achieved at least this share of it: the window's
// edges cost a request or two, a server that falls behind costs more.
inline constexpr double kOfferedRateReached = 0.97;
[[nodiscard]] inline bool reached_offered_rate(const CellSpec& cell, double achieved_rps) noexcept {
  const double offered = cell.offered_rps.value_or(0);
  return offered == 0 || achieved_rps >= kOfferedRateReached * offered;
}

// Whether the repetition met every bound (no failed request, achieved_rps at least 97% of the
// offered rate); for the slo_met column and the capacity summary.
bool meets_slo(const CellSpec& cell, const Metrics& metrics, const std::vector<SloBound>& slo) noexcept;

}  // namespace ipcbench
