// The suite: a matrix of cells, repetitions run round-robin across them, results to reporters.
#pragma once

#include <span>
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
  std::vector<CellRecord> cells;
};

// Repetition 1 of every cell, then repetition 2, ...: a slow phase of a shared host then hits
// every cell alike. A cell that fails is not repeated; a cell that cannot run (unavailable,
// payload too large) is reported as skipped. Before each repetition of a spinning transport
// under `cross`, the cache-line floor between the same CPUs is measured, so that the ratio
// compares two figures from the same phase of the host.
SuiteOutcome run_suite(std::span<const RegistryEntry> registry, const SuiteRequest& request, const Manifest& manifest,
                       std::span<Reporter* const> reporters);

// Why the cell cannot run here, or empty.
std::string skip_reason(const RegistryEntry& entry, const CellSpec& cell);

}  // namespace ipcbench
