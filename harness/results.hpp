// What one repetition of a cell produced, and a cell's aggregate over its repetitions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/hooks.hpp"
#include "harness/kept_histograms.hpp"
#include "harness/manifest.hpp"
#include "harness/metrics.hpp"
#include "harness/settings.hpp"
#include "harness/transport.hpp"

namespace ipcbench {

enum class Status : std::uint8_t { ok, failed, skipped };
std::string_view to_string(Status status) noexcept;

struct RepResult {
  Status status = Status::ok;
  std::string reason;
  bool interrupted = false;
  bool ends_run = false;  // no later cell could run either (host mode: the server is unreachable)
  WaitKind wait = WaitKind::block;
  int client_cpu = -1;  // where each side ran, as seen at its end
  int server_cpu = -1;
  Metrics metrics;
  KeptHistograms histograms;  // what the latency percentiles were taken from
  std::optional<Manifest> server_manifest;  // host mode: the server's, from its WELCOME
};

struct Spread {
  double min = 0, max = 0, cv = 0;
};

// Medians of the successful repetitions, the spread of the metrics that have one, and the
// cell's overall status: a cell with any failed repetition is failed.
struct CellAggregate {
  Status status = Status::ok;
  std::string reason;
  int repetitions_ok = 0;
  RepResult median;
  std::array<Spread, kMetricCount> spreads{};  // filled for the metrics whose info says `spread`
  bool stable = false;                         // every spread's coefficient of variation at most 0.10
};

CellAggregate aggregate(const std::vector<RepResult>& repetitions);

// The successful repetitions' histograms of that kind added up, or none if none kept one.
std::optional<LatencyHistogram> merged_histogram(const std::vector<RepResult>& repetitions, HistogramKind kind);

struct SideReport;
// A side's usage over all its round trips, per round trip, into the metrics of its role.
void record_usage(RepResult& result, Role role, const SideReport& side, std::uint64_t round_trips);

}  // namespace ipcbench
