// ipcbench: the command line (CLI11) over the suite, the registry and the reporters.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fmt/format.h>
#include <memory>

#include "harness/app/cli_options.hpp"
#include "harness/clock.hpp"
#include "harness/csv_reporter.hpp"
#include "harness/json_reporter.hpp"
#include "harness/limits.hpp"
#include "harness/parse.hpp"
#include "harness/progress_reporter.hpp"
#include "harness/supervisor.hpp"
#include "harness/sys/affinity.hpp"
#include "harness/table_reporter.hpp"
#include "transports/registry.hpp"

namespace ipcbench {
namespace {

constexpr int kExitFailedCells = 1;
constexpr int kExitUsage = 2;

void add_run_options(CLI::App& cmd, RunOptions& o) {
  cmd.add_option("-t,--transports", o.transports, "comma-separated transports, or all (see `ipcbench list`)");
  cmd.add_option("-m,--modes", o.modes, "thread,process");
  cmd.add_option("-p,--placement", o.placements, "cross (two CPUs), same (one CPU), none (scheduler's choice)");
  cmd.add_option("-s,--sizes", o.sizes, "payload sizes each way, e.g. 64,1K,64K");
  CLI::Option* duration = cmd.add_option("--duration", o.duration, "length of each timed pass, e.g. 500ms, 2s");
  // Both at once is a typo or a misunderstanding, never a wish that one silently wins.
  cmd.add_option("--round-trips", o.round_trips, "round trips per timed pass, instead of --duration")->excludes(duration);
  cmd.add_option("--repetitions", o.repetitions, "repetitions of every cell, run round-robin");
  cmd.add_option("--warmup", o.warmup, "warm-up round trips before each repetition (at most duration/10)");
  cmd.add_option("--cpus", o.cpus, "the two CPUs to pin to, A,B (default: the first two allowed)");
  cmd.add_option("--peer-timeout", o.peer_timeout, "a side that makes no progress this long fails the cell (default 2s)");
  cmd.add_option("--inject-delay", o.inject_delay,
                 "TRANSPORT=DURATION: busy-wait after every reply of one transport (to prove the regression gate)");
  // Hidden: only the reliability tests make a side of a transport fail on purpose.
  cmd.add_option("--inject-fault", o.inject_fault, "TRANSPORT:SIDE:ACTION:PHASE (tests only)")->group("");
  cmd.add_flag("--verify", o.verify, "check every payload byte on both sides, not just the sequence");
  // An empty name is an unset shell variable (--csv "$OUT"), not a wish for no file.
  const CLI::Validator file_name([](std::string& name) { return name.empty() ? "expected a file name, got ''" : ""; },
                                 "FILE");
  cmd.add_option("--csv", o.csv, "write every repetition and aggregate as CSV (docs/csv-schema.md)")->check(file_name);
  cmd.add_option("--json", o.json, "write the same content as JSON")->check(file_name);
  cmd.add_option("--table", o.table, "seed (default) or none");
  cmd.add_flag("-q,--quiet", o.quiet, "no progress line on stderr");
}

int run(const RunOptions& options) {
  const auto entries = registry();
  SuiteRequest request = build_request(entries, options);
  // The table comes first: should the JSON file fail to be written at the end, every cell
  // has been printed already.
  std::vector<std::unique_ptr<Reporter>> owned;
  if (options.table == "seed") owned.push_back(std::make_unique<TableReporter>(stdout));
  if (!options.quiet && ::isatty(STDERR_FILENO)) owned.push_back(std::make_unique<ProgressReporter>(request.repetitions));
  // Reporters open their files before anything is measured: a bad path costs nothing.
  const CsvReporter* csv = nullptr;
  try {
    if (!options.csv.empty()) {
      auto reporter = std::make_unique<CsvReporter>(options.csv);
      csv = reporter.get();
      owned.push_back(std::move(reporter));
    }
    if (!options.json.empty()) owned.push_back(std::make_unique<JsonReporter>(options.json));
  } catch (const std::system_error& error) {
    throw UsageError(error.what());
  }
  std::vector<Reporter*> reporters;
  for (const auto& r : owned) reporters.push_back(r.get());

  const Clock clock = Clock::calibrate();
  request.settings.clock = &clock;
  const Manifest manifest = Manifest::collect(clock, request.settings.cpus[0], request.settings.cpus[1]);
  install_interrupt_handlers();
  const SuiteOutcome outcome = run_suite(entries, request, manifest, reporters);
  if (csv && !csv->error().empty())
    fmt::print(stderr, "ipcbench: error: {}; the rows before it were kept\n", csv->error());
  if (outcome.interrupt_signal != 0) {
    fmt::print(stderr, "ipcbench: interrupted by {}; finished cells were kept\n",
               outcome.interrupt_signal == SIGINT ? "SIGINT" : "SIGTERM");
    return 128 + outcome.interrupt_signal;
  }
  if (outcome.failed_cells > 0) {
    fmt::print(stderr, "ipcbench: {} cell(s) failed\n", outcome.failed_cells);
    return kExitFailedCells;
  }
  return csv && !csv->error().empty() ? kExitFailedCells : 0;
}

int list() {
  fmt::print("{:<10} | {:<15} | {:<8} | {:<10} | {:<9} | {}\n", "Transport", "Modes", "Max size", "Wait", "Available",
             "Mechanism");
  for (const RegistryEntry& e : registry()) {
    const TransportInfo& i = e.info;
    const std::string modes = i.thread_mode && i.process_mode ? "thread, process" : i.thread_mode ? "thread" : "process";
    fmt::print("{:<10} | {:<15} | {:<8} | {:<10} | {:<9} | {}{}\n", i.name, modes,
               i.max_payload_bytes ? format_size(i.max_payload_bytes) : "-", to_string(i.wait),
               e.available() ? "yes" : "no", i.mechanism,
               e.available() ? "" : fmt::format(" ({})", i.unavailable_reason));
  }
  return 0;
}

int limits(const std::optional<std::string>& cpus) {
  std::vector<int> chosen;
  if (cpus) {
    const auto pair = choose_cpus(cpus, true);
    chosen = {pair[0], pair[1]};
  } else {
    chosen = sys::allowed_cpus();
  }
  if (chosen.size() < 2) throw UsageError("ipcbench limits needs at least two CPUs");
  fmt::print("Cache-line round trip between two pinned threads (median of 5 x 100000), the floor for shm-spin:\n");
  for (std::size_t a = 0; a < chosen.size(); ++a)
    for (std::size_t b = a + 1; b < chosen.size(); ++b)
      fmt::print("CPU {} <-> CPU {}: {:.0f} ns\n", chosen[a], chosen[b], cache_line_round_trip_ns(chosen[a], chosen[b]));
  return 0;
}

int main_with_errors(int argc, char** argv) {
  CLI::App app("ipcbench: IPC round-trip latency and messages/sec, one harness for every transport");
  app.set_version_flag("--version", std::string(IPCBENCH_VERSION) + " (" + IPCBENCH_GIT_COMMIT + ")");
  app.require_subcommand(0, 1);

  RunOptions run_options;
  CLI::App* run_cmd = app.add_subcommand("run", "measure a matrix of cells (transport x mode x placement x size)");
  add_run_options(*run_cmd, run_options);
  app.add_subcommand("list", "transports, their capabilities and availability here");
  std::optional<std::string> limit_cpus;
  CLI::App* limits_cmd = app.add_subcommand("limits", "cache-line round trip for each pair of CPUs: the physical floor");
  limits_cmd->add_option("--cpus", limit_cpus, "measure one pair A,B only");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "ipcbench: error: {} (see ipcbench --help)\n", e.what());
    return kExitUsage;
  }

  if (app.got_subcommand("list")) return list();
  if (app.got_subcommand("limits")) return limits(limit_cpus);
  if (app.got_subcommand("run")) {
    run_options.transports_given = run_cmd->count("--transports") > 0;
    return run(run_options);
  }
  // The default suite: every available transport, both modes and placements, 64 B, short
  // passes so that the whole matrix takes under a minute on two CPUs.
  RunOptions suite;
  suite.duration = "80ms";
  suite.repetitions = "5";
  suite.csv = "ipcbench-results.csv";
  const int status = run(suite);
  fmt::print(stderr, "ipcbench: results written to {}\n", suite.csv);
  return status;
}

}  // namespace
}  // namespace ipcbench

int main(int argc, char** argv) {
  try {
    return ipcbench::main_with_errors(argc, argv);
  } catch (const ipcbench::UsageError& e) {
    fmt::print(stderr, "ipcbench: error: {}\n", e.what());
    return ipcbench::kExitUsage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ipcbench: error: {}\n", e.what());
    return ipcbench::kExitFailedCells;
  }
}
