// The shared edge of every measuring command: reporters in, exit status out.
#include "harness/app/run_reported.hpp"

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include "harness/csv_reporter.hpp"
#include "harness/hgrm_reporter.hpp"
#include "harness/json_reporter.hpp"
#include "harness/parse.hpp"
#include "harness/progress_reporter.hpp"
#include "harness/supervisor.hpp"

namespace ipcbench {

constexpr int kExitFailedCells = 1;

std::vector<std::unique_ptr<Reporter>> open_file_reporters(const ReportedOutput& output) {
  std::vector<std::unique_ptr<Reporter>> reporters;
  try {
    if (!output.csv.empty()) reporters.push_back(std::make_unique<CsvReporter>(output.csv));
    if (!output.json.empty()) reporters.push_back(std::make_unique<JsonReporter>(output.json));
    if (!output.hgrm.empty()) reporters.push_back(std::make_unique<HgrmReporter>(output.hgrm));
  } catch (const std::system_error& error) {
    throw UsageError(error.what());
  }
  return reporters;
}

bool report_write_errors(std::span<Reporter* const> reporters) {
  bool failed = false;
  for (const Reporter* r : reporters) {
    if (r->write_error().empty()) continue;
    fmt::print(stderr, "ipcbench: error: {}; what was written before it was kept\n", r->write_error());
    failed = true;
  }
  return failed;
}

int run_reported(const ReportedOutput& output, std::unique_ptr<Reporter> table, std::array<int, 2> cpus, const ReportedRun& run) {
  // The table comes first: should the JSON file fail to be written at the end, every cell
  // has been printed already.
  std::vector<std::unique_ptr<Reporter>> owned;
  if (table) owned.push_back(std::move(table));
  if (!output.quiet && ::isatty(STDERR_FILENO)) owned.push_back(std::make_unique<ProgressReporter>(output.repetitions));
  for (auto& r : open_file_reporters(output)) owned.push_back(std::move(r));
  std::vector<Reporter*> reporters;
  for (const auto& r : owned) reporters.push_back(r.get());

  const Clock clock = Clock::calibrate();
  Manifest manifest = Manifest::collect(clock, cpus[0], cpus[1]);
  manifest.config = output.config;
  install_interrupt_handlers();
  const SuiteOutcome outcome = run(clock, manifest, reporters);
  const bool write_failed = report_write_errors(reporters);
  if (outcome.interrupt_signal != 0) {
    fmt::print(stderr, "ipcbench: interrupted by {}; finished cells were kept\n",
               outcome.interrupt_signal == SIGINT ? "SIGINT" : "SIGTERM");
    return 128 + outcome.interrupt_signal;
  }
  if (!outcome.ended_by.empty()) {
    fmt::print(stderr, "ipcbench: error: {}; the cells before it were kept\n", outcome.ended_by);
    return kExitFailedCells;
  }
  if (outcome.failed_cells > 0) {
    fmt::print(stderr, "ipcbench: {} cell(s) failed\n", outcome.failed_cells);
    return kExitFailedCells;
  }
  return write_failed ? kExitFailedCells : 0;
}

}  // namespace ipcbench
