// The suite: a matrix of cells, repetitions run round-robin across them, results to reporters.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "harness/manifest.hpp"
#include "harness/registry_entry.hpp"
#include "harness/reporter.hpp"

namespace ipcbench {

struct SuiteRequest {
  std::vector<CellSpec> cells;
  int repetitions = 5;
  RunSettings settings;
};

struct SuiteOutcome {
  int failed_cells = 0;
  int interrupt_signal = 0;  // SIGINT/SIGTERM that ended the run early, else 0
  std::string ended_by;      // a failure no later cell could escape (the server is unreachable), else empty
  std::vector<CellRecord> cells;
};

// Repetition 1 of every cell, then repetition 2, ...: a slow phase of a shared host then hits
// every cell alike. A cell that fails is not repeated; cells already done (skipped) are
// reported as they are. Both `run` and `load` go through this loop.
using RepetitionOfCell = std::function<RepResult(std::size_t cell, int repetition)>;
SuiteOutcome run_round_robin(std::vector<CellRecord> cells, int repetitions, const RepetitionOfCell& run,
                             const Manifest& manifest, std::span<Reporter* const> reporters);

// The ping-pong matrix through run_round_robin. A cell that cannot run (payload
// too large) is reported as skipped. Before each repetition of a spinning transport
// under `cross`, the cache-line floor between the same CPUs is measured, so that the ratio
// compares two figures from the same phase of the host.
SuiteOutcome run_suite(Registry registry, const SuiteRequest& request, const Manifest& manifest,
                       std::span<Reporter* const> reporters);

// Why the cell cannot run, or empty.
std::string skip_reason(const RegistryEntry& entry, const CellSpec& cell);
// The largest payload the transport carries in that mode: host mode's frame header takes
// its share of a transport's largest message.
std::size_t max_payload_bytes(const RegistryEntry& entry, Mode mode) noexcept;
// That maximum in words, naming the machine's limit where it is the one that binds.
std::string max_payload_text(const RegistryEntry& entry, Mode mode);

}  // namespace ipcbench
