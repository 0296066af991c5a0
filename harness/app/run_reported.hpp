// run_reported: the reporters, clock, manifest and exit status that `run`, `ping` and `load` share.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "harness/clock.hpp"
#include "harness/reporter.hpp"
#include "harness/suite.hpp"

namespace ipcbench {

struct ReportedOutput {
  std::string csv;
  std::string json;
  bool quiet = false;
  int repetitions = 1;  // for the progress line
  std::string config;   // the manifest's config: how to reproduce the run
};

using ReportedRun = std::function<SuiteOutcome(const Clock&, const Manifest&, std::span<Reporter* const>)>;

// Opens the CSV and JSON files before anything is measured (a bad path costs nothing and is a
// UsageError), calibrates the clock, collects the manifest (cpus: the two CPUs it names),
// installs the SIGINT/SIGTERM handlers, runs, and turns the outcome into the exit status:
// 0, 1 (a failed cell, an unreachable server, a CSV write error) or 128 + the signal.
int run_reported(const ReportedOutput& output, std::unique_ptr<Reporter> table, std::array<int, 2> cpus, const ReportedRun& run);

}  // namespace ipcbench
