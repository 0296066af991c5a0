// run_reported: the reporters, clock, manifest and exit status that `run`, `ping` and `load` share.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

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
  std::string hgrm;     // the directory of the .hgrm files, or empty
};

// The file reporters the output asks for, opened (a bad path is a UsageError naming it).
std::vector<std::unique_ptr<Reporter>> open_file_reporters(const ReportedOutput& output);
// Says on stderr what each reporter could not write; true if one could not.
bool report_write_errors(std::span<Reporter* const> reporters);

using ReportedRun = std::function<SuiteOutcome(const Clock&, const Manifest&, std::span<Reporter* const>)>;

// Opens the CSV and JSON files before anything is measured (a bad path costs nothing and is a
// UsageError), calibrates the clock, collects the manifest (cpus: the two CPUs it names),
// installs the SIGINT/SIGTERM handlers, runs, and turns the outcome into the exit status:
// 0, 1 (a failed cell, an unreachable server, an output write error) or 128 + the signal.
int run_reported(const ReportedOutput& output, std::unique_ptr<Reporter> table, std::array<int, 2> cpus, const ReportedRun& run);

}  // namespace ipcbench
