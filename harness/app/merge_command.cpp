// The merge command: read, combine, report; nothing is measured, so no clock, no pinning and no signals.
#include "harness/app/merge_command.hpp"

#include <algorithm>
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

// The bounds slo_met was judged by are the runs' own; merge knows them only by that name.
constexpr const char* kRunsSlo = "the runs' SLO";

bool is_load(const CellRecord& cell) { return !cell.spec.architecture.empty(); }

// A table of one kind of cell (ping-pong or load) over the merged cells of that kind only:
// files may hold both, and each table has columns for one. It plays the cells to its table
// at the end, so that one table is printed whole before the next begins.
class TableOfKind final : public Reporter {
 public:
  TableOfKind(std::unique_ptr<Reporter> table, bool load) : table_(std::move(table)), load_(load) {}
  void on_start(const Manifest& manifest, std::span<const CellRecord> cells) override {
    manifest_ = manifest;
    for (const CellRecord& c : cells)
      if (is_load(c) == load_) cells_.push_back(c);
  }
  void on_finish(std::span<const CellRecord>) override {
    table_->on_start(manifest_, cells_);
    for (const CellRecord& cell : cells_) {
      for (std::size_t i = 1; i <= cell.repetitions.size(); ++i) table_->on_repetition(cell, static_cast<int>(i));
      table_->on_cell_done(cell);
    }
    table_->on_finish(cells_);
  }

 private:
  std::unique_ptr<Reporter> table_;
  bool load_;
  Manifest manifest_;
  std::vector<CellRecord> cells_;
};

// auto: a seed table if there are ping-pong cells, then a load table if there are load cells.
std::vector<std::unique_ptr<Reporter>> tables_for(const std::string& table, const std::vector<CellRecord>& cells) {
  if (table != "auto" && table != "seed" && table != "load" && table != "none")
    throw UsageError(fmt::format("invalid --table '{}': expected auto, seed, load or none", table));
  const bool any_ping_pong = std::any_of(cells.begin(), cells.end(), [](const CellRecord& c) { return !is_load(c); });
  const bool any_load = std::any_of(cells.begin(), cells.end(), is_load);
  std::vector<std::unique_ptr<Reporter>> tables;
  if (table == "seed" || (table == "auto" && any_ping_pong))
    tables.push_back(std::make_unique<TableOfKind>(std::make_unique<TableReporter>(stdout), false));
  if (table == "load" || (table == "auto" && any_load))
    tables.push_back(std::make_unique<TableOfKind>(std::make_unique<LoadTableReporter>(stdout, kRunsSlo), true));
  return tables;
}

}  // namespace

void add_merge_options(CLI::App& cmd, MergeOptions& o) {
  cmd.add_option("files", o.inputs, "JSON results (ipcbench run/ping/load --json)")->required()->check(CLI::ExistingFile);
  cmd.add_option("--as", o.as, "repetitions (the files ran one after another) or hosts (they loaded one server at once)");
  cmd.add_option("--csv", o.csv, "write every repetition and aggregate as CSV (docs/csv-schema.md)");
  cmd.add_option("--json", o.json, "write the merged result as JSON, histograms included");
  cmd.add_option("--hgrm", o.hgrm, "write each cell's merged distribution as DIR/<cell>.<histogram>.hgrm");
  cmd.add_option("--table", o.table, "auto (a seed table for ping-pong cells, a load table for load cells), seed, load or none");
}

int run_merge(const MergeOptions& o) {
  const MergeAs as = merge_as(o.as);
  std::vector<ResultFile> files;
  MergedResults merged;
  try {
    for (const std::string& path : o.inputs) files.push_back(read_result_file(path));
    merged = merge_results(files, as);
  } catch (const std::exception& error) {
    throw UsageError(fmt::format("merge: {}", error.what()));
  }
  merged.manifest.config = o.config;

  std::vector<std::unique_ptr<Reporter>> owned = tables_for(o.table, merged.cells);
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
  // The tables say "medians of the repetitions"; for merged percentiles that is not so.
  fmt::print(stderr, "ipcbench: merged {} cell(s) from {} file(s) as {}: percentiles of all their samples, {}\n",
             merged.cells.size(), files.size(), to_string(as),
             as == MergeAs::hosts ? "rates and counts added up" : "rates the median of the repetitions");
  return report_write_errors(reporters) ? 1 : 0;
}

}  // namespace ipcbench
