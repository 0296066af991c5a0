// What one repetition of a cell produced, and a cell's aggregate over its repetitions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/settings.hpp"
#include "harness/transport.hpp"

namespace ipcbench {

enum class Status : std::uint8_t { ok, failed, skipped };
std::string_view to_string(Status status) noexcept;

struct LatencySummary {
  std::uint64_t round_trips = 0;
  double min_ns = 0, p50_ns = 0, p90_ns = 0, p99_ns = 0, p999_ns = 0, p9999_ns = 0, max_ns = 0, mean_ns = 0, stddev_ns = 0;
};

struct SideUsage {
  bool known = false;
  double cpu_ns_per_rt = 0;
  double voluntary_switches_per_rt = 0;
  double involuntary_switches_per_rt = 0;
  int cpu = -1;
};

struct RepResult {
  Status status = Status::ok;
  std::string reason;
  bool interrupted = false;
  WaitKind wait = WaitKind::block;
  std::uint64_t round_trips = 0;
  std::uint64_t elapsed_ns = 0;
  double msgs_per_s = 0;
  LatencySummary latency;
  SideUsage client;
  SideUsage server;
  std::uint64_t lost = 0;
  // Spinners under `cross`: the cache-line round trip measured just before this repetition,
  // and this repetition's mean round trip over it. 0 when not measured.
  double floor_rtt_ns = 0;
  double floor_ratio = 0;
};

struct Spread {
  double min = 0, max = 0, cv = 0;
};

// Medians of the successful repetitions, their spread, and the cell's overall status: a cell
// with any failed repetition is failed.
struct CellAggregate {
  Status status = Status::ok;
  std::string reason;
  int repetitions_ok = 0;
  RepResult median;
  Spread msgs_per_s;
  Spread rtt_p50_ns;
  bool stable = false;
};

CellAggregate aggregate(const std::vector<RepResult>& repetitions);

}  // namespace ipcbench
