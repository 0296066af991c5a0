// Round-robin repetitions over the cells, the floor beside each spinner, aggregation.
#include "harness/suite.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "harness/limits.hpp"
#include "harness/parse.hpp"
#include "harness/supervisor.hpp"
#include "harness/wire.hpp"

namespace ipcbench {
namespace {

// A short floor sample (about 10-50 ms): long enough for a stable median, short enough to
// sit in the same phase of the host as the repetition after it.
constexpr int kFloorRoundTrips = 50'000;
constexpr int kFloorSamples = 3;

RepResult run_repetition(const RegistryEntry& entry, const CellSpec& cell, const RunSettings& settings) {
  // Anything that spins across two CPUs (shm-yield spins before it yields) is bounded by the
  // cache-line floor, not by a wake-up.
  const bool spins = entry.info.wait == WaitKind::spin || entry.info.wait == WaitKind::spin_yield;
  const bool compare_with_floor = spins && cell.placement == Placement::cross;
  const CacheLines lines = entry.info.cache_lines ? entry.info.cache_lines(cell.payload_bytes) : CacheLines{};
  const auto floor = [&] {
    return cache_line_round_trip_ns(settings.cpus[0], settings.cpus[1], kFloorRoundTrips, kFloorSamples, lines);
  };
  const double floor_before = compare_with_floor ? floor() : 0;
  RepResult result = entry.run(cell, settings);
  if (compare_with_floor && result.status == Status::ok && result.metrics.or_zero(Metric::msgs_per_s) > 0) {
    // Before and after: the repetition's phase of the host lies between the two.
    const double floor_rtt_ns = (floor_before + floor()) / 2;
    result.metrics.set(Metric::floor_rtt_ns, floor_rtt_ns);
    result.metrics.set(Metric::floor_ratio, (1e9 / result.metrics[Metric::msgs_per_s]) / floor_rtt_ns);
    result.metrics.set(Metric::floor_lines, static_cast<double>(lines.each_way));
  }
  return result;
}

void finish_cell(CellRecord& record, std::span<Reporter* const> reporters) {
  record.aggregate = aggregate(record.repetitions);
  record.done = true;
  for (Reporter* r : reporters) r->on_cell_done(record);
}

}  // namespace

std::size_t max_payload_bytes(const RegistryEntry& entry, Mode mode) noexcept {
  const std::size_t largest = entry.info.max_payload_here();
  return mode == Mode::host ? largest - std::min(largest, wire::kHeaderBytes) : largest;
}

std::string max_payload_text(const RegistryEntry& entry, Mode mode) {
  const std::string size = format_size(max_payload_bytes(entry, mode));
  const auto limit = entry.info.binding_machine_limit();
  return limit ? fmt::format("{}, set by {}", size, limit->set_by) : size;
}

std::string skip_reason(const RegistryEntry& entry, const CellSpec& cell) {
  const TransportInfo& info = entry.info;
  if (!entry.modes.has(cell.mode)) return fmt::format("{} does not run in {} mode", info.name, to_string(cell.mode));
  if (cell.wait == WaitPolicy::busy_poll) {
    if (!entry.busy_polls) return fmt::format("{} has no busy-poll wait", info.name);
    if (cell.mode == Mode::host) return "busy-poll runs in thread and process mode";
    if (cell.placement == Placement::same)
      return "busy-poll needs two CPUs: on one, each poll keeps the CPU from the peer until its time slice ends";
  }
  if (cell.payload_bytes > max_payload_bytes(entry, cell.mode))
    return fmt::format("payload {} exceeds {}'s maximum of {}{}", format_size(cell.payload_bytes), info.name,
                       max_payload_text(entry, cell.mode), cell.mode == Mode::host ? " in host mode" : "");
  return {};
}

SuiteOutcome run_round_robin(std::vector<CellRecord> cells, int repetitions, const RepetitionOfCell& run,
                             const Manifest& manifest, std::span<Reporter* const> reporters) {
  SuiteOutcome outcome;
  outcome.cells = std::move(cells);
  for (Reporter* r : reporters) r->on_start(manifest, outcome.cells);
  for (const CellRecord& record : outcome.cells)
    if (record.done)
      for (Reporter* r : reporters) r->on_cell_done(record);

  for (int rep = 1; rep <= repetitions && !outcome.interrupt_signal && outcome.ended_by.empty(); ++rep) {
    for (std::size_t i = 0; i < outcome.cells.size(); ++i) {
      CellRecord& record = outcome.cells[i];
      if (record.done) continue;
      record.repetitions.push_back(run(i, rep));
      const RepResult& result = record.repetitions.back();
      if (result.interrupted) {
        outcome.interrupt_signal = interrupt_signal();
        break;
      }
      for (Reporter* r : reporters) r->on_repetition(record, rep);
      if (result.status != Status::ok || rep == repetitions) finish_cell(record, reporters);
      if (result.ends_run) {
        outcome.ended_by = result.reason;
        break;
      }
      if (interrupt_signal()) {
        outcome.interrupt_signal = interrupt_signal();
        break;
      }
    }
  }
  for (const CellRecord& record : outcome.cells)
    if (record.done && record.aggregate.status == Status::failed) ++outcome.failed_cells;
  for (Reporter* r : reporters) r->on_finish(outcome.cells);
  return outcome;
}

SuiteOutcome run_suite(Registry registry, const SuiteRequest& request, const Manifest& manifest,
                       std::span<Reporter* const> reporters) {
  std::vector<CellRecord> cells;
  std::vector<const RegistryEntry*> entries;
  for (const CellSpec& cell : request.cells) {
    CellRecord& record = cells.emplace_back(CellRecord{cell, {}, {}, false});
    const RegistryEntry* entry = find_transport(registry, cell.transport);
    entries.push_back(entry);
    const std::string reason = entry ? skip_reason(*entry, cell) : "unknown transport";
    if (reason.empty()) continue;
    record.aggregate.status = Status::skipped;
    record.aggregate.reason = reason;
    record.done = true;
  }
  const auto run = [&](std::size_t i, int rep) {
    RunSettings settings = request.settings;
    settings.repetition = rep;
    return run_repetition(*entries[i], request.cells[i], settings);
  };
  return run_round_robin(std::move(cells), request.repetitions, run, manifest, reporters);
}

}  // namespace ipcbench
