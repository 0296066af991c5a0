// The merge command: read, combine, report; nothing is measured, so no clock, no pinning and no signals.
#include "harness/app/merge_command.hpp"

#include <cstdio>
#include <fmt/format.h>

#include "harness/app/run_reported.hpp"
#include "harness/merge.hpp"
#include "harness/parse.hpp"
#include "harness/table_reporter.hpp"
#include "load/load_table.hpp"

namespace ipcbench {
namespace {

MergeAs merge_as(const std::string& text) {
  for (MergeAs as : {MergeAs::repetitions, MergeAs::hosts})
    if (to_string(as) == text) return as;
  throw UsageError(fmt::format("invalid --as '{}': expected repetitions (runs one after another) or hosts (load at the same time)", text));
}

std::unique_ptr<Reporter> table_for(const std::string& table, const std::vector<CellRecord>& cells) {
  bool load = false;
  for (const CellRecord& c : cells) load = load || !c.spec.architecture.empty();
  if (table == "auto") return load ? std::unique_ptr<Reporter>(std::make_unique<LoadTableReporter>(stdout, ""))
                                   : std::make_unique<TableReporter>(stdout);
  if (table == "seed") return std::make_unique<TableReporter>(stdout);
  if (table == "load") return std::make_unique<LoadTableReporter>(stdout, "");
  if (table == "none") return nullptr;
  throw UsageError(fmt::format("invalid --table '{}': expected auto, seed, load or none", table));
}

}  // namespace

void add_merge_options(CLI::App& cmd, MergeOptions& o) {
  cmd.add_option("files", o.inputs, "JSON results (ipcbench run/ping/load --json)")->required()->check(CLI::ExistingFile);
  cmd.add_option("--as", o.as, "repetitions (the files ran one after another) or hosts (they loaded one server at once)");
  cmd.add_option("--csv", o.csv, "write every repetition and aggregate as CSV (docs/csv-schema.md)");
  cmd.add_option("--json", o.json, "write the merged result as JSON, histograms included");
  cmd.add_option("--hgrm", o.hgrm, "write each cell's merged distribution as DIR/<cell>.<histogram>.hgrm");
  cmd.add_option("--table", o.table, "auto (load table for load cells, else seed), seed, load or none");
}

int run_merge(const MergeOptions& o) {
  const MergeAs as = merge_as(o.as);
  std::unique_ptr<Reporter> table;
  std::vector<ResultFile> files;
  MergedResults merged;
  try {
    for (const std::string& path : o.inputs) files.push_back(read_result_file(path));
    merged = merge_results(files, as);
  } catch (const std::exception& error) {
    throw UsageError(fmt::format("merge: {}", error.what()));
  }
  merged.manifest.config = o.config;
  table = table_for(o.table, merged.cells);

  std::vector<std::unique_ptr<Reporter>> owned;
  if (table) owned.push_back(std::move(table));
  for (auto& r : open_file_reporters(ReportedOutput{o.csv, o.json, true, 1, o.config, o.hgrm})) owned.push_back(std::move(r));
  std::vector<Reporter*> reporters;
  for (const auto& r : owned) reporters.push_back(r.get());

  for (Reporter* r : reporters) r->on_start(merged.manifest, merged.cells);
  for (const CellRecord& cell : merged.cells) {
    for (std::size_t i = 1; i <= cell.repetitions.size(); ++i)
      for (Reporter* r : reporters) r->on_repetition(cell, static_cast<int>(i));
    for (Reporter* r : reporters) r->on_cell_done(cell);
  }
  for (Reporter* r : reporters) r->on_finish(merged.cells);
  fmt::print(stderr, "ipcbench: merged {} cell(s) from {} file(s) as {}\n", merged.cells.size(), files.size(), to_string(as));
  return report_write_errors(reporters) ? 1 : 0;
}

}  // namespace ipcbench
