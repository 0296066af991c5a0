// Round-robin repetitions over the cells, the floor beside each spinner, aggregation.
#include "harness/suite.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "harness/limits.hpp"
#include "harness/parse.hpp"
#include "harness/supervisor.hpp"

namespace ipcbench {
namespace {

const RegistryEntry* lookup(std::span<const RegistryEntry> registry, std::string_view name) {
  const auto it = std::find_if(registry.begin(), registry.end(), [&](const RegistryEntry& e) { return e.info.name == name; });
  return it == registry.end() ? nullptr : &*it;
}

// A short floor sample (about 10-50 ms): long enough for a stable median, short enough to
// sit in the same phase of the host as the repetition after it.
constexpr int kFloorRoundTrips = 50'000;
constexpr int kFloorSamples = 3;

RepResult run_repetition(const RegistryEntry& entry, const CellSpec& cell, const RunSettings& settings) {
  // Anything that spins across two CPUs (shm-yield spins before it yields) is bounded by the
  // cache-line floor, not by a wake-up.
  const bool spins = entry.info.wait == WaitKind::spin || entry.info.wait == WaitKind::spin_yield;
  const bool compare_with_floor = spins && cell.placement == Placement::cross;
  const auto floor = [&] {
    return cache_line_round_trip_ns(settings.cpus[0], settings.cpus[1], kFloorRoundTrips, kFloorSamples);
  };
  const double floor_before = compare_with_floor ? floor() : 0;
  RepResult result = entry.run(cell, settings);
  if (compare_with_floor && result.status == Status::ok && result.msgs_per_s > 0) {
    // Before and after: the repetition's phase of the host lies between the two.
    result.floor_rtt_ns = (floor_before + floor()) / 2;
    result.floor_ratio = (1e9 / result.msgs_per_s) / result.floor_rtt_ns;
  }
  return result;
}

void finish_cell(CellRecord& record, std::span<Reporter* const> reporters) {
  record.aggregate = aggregate(record.repetitions);
  record.done = true;
  for (Reporter* r : reporters) r->on_cell_done(record);
}

}  // namespace

std::string skip_reason(const RegistryEntry& entry, const CellSpec& cell) {
  const TransportInfo& info = entry.info;
  if (!entry.available()) return std::string(info.unavailable_reason);
  if (!info.supports(cell.mode)) return fmt::format("{} does not run in {} mode", info.name, to_string(cell.mode));
  if (cell.payload_bytes > info.max_payload_bytes)
    return fmt::format("payload {} exceeds {}'s maximum of {}", format_size(cell.payload_bytes), info.name,
                       format_size(info.max_payload_bytes));
  return {};
}

SuiteOutcome run_suite(std::span<const RegistryEntry> registry, const SuiteRequest& request, const Manifest& manifest,
                       std::span<Reporter* const> reporters) {
  SuiteOutcome outcome;

  std::vector<const RegistryEntry*> entries;
  for (const CellSpec& cell : request.cells) {
    outcome.cells.push_back({cell, {}, {}, false});
    entries.push_back(lookup(registry, cell.transport));
  }
  for (Reporter* r : reporters) r->on_start(manifest, outcome.cells);

  for (std::size_t i = 0; i < outcome.cells.size(); ++i) {
    CellRecord& record = outcome.cells[i];
    const std::string reason = entries[i] ? skip_reason(*entries[i], record.spec) : "unknown transport";
    if (reason.empty()) continue;
    record.aggregate.status = Status::skipped;
    record.aggregate.reason = reason;
    record.done = true;
    for (Reporter* r : reporters) r->on_cell_done(record);
  }

  for (int rep = 1; rep <= request.repetitions && !outcome.interrupt_signal; ++rep) {
    for (std::size_t i = 0; i < outcome.cells.size(); ++i) {
      CellRecord& record = outcome.cells[i];
      if (record.done) continue;
      record.repetitions.push_back(run_repetition(*entries[i], record.spec, request.settings));
      const RepResult& result = record.repetitions.back();
      if (result.interrupted) {
        outcome.interrupt_signal = interrupt_signal();
        break;
      }
      for (Reporter* r : reporters) r->on_repetition(record, rep);
      if (result.status != Status::ok || rep == request.repetitions) finish_cell(record, reporters);
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

}  // namespace ipcbench
