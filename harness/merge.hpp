// Several results files made one: the same cells' repetitions pooled, or hosts that loaded one server at once added up.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "harness/result_file.hpp"

namespace ipcbench {

// repetitions: the files measured the same cells one after another (runs, machines): a cell's
//   repetitions are all of theirs; its rates are their median, its percentiles those of every
//   sample (the histograms added up), so they are exact, not a median of percentiles.
// hosts: the files measured one server at the same time from several machines: repetition i
//   of a cell is every file's repetition i together: counts and rates add up, so do the
//   connections and the offered rate of its key; percentiles are those of every sample; any
//   other figure is the files' mean, and a flag (slo_met) holds if it held on every host.
enum class MergeAs : std::uint8_t { repetitions, hosts };
std::string_view to_string(MergeAs as) noexcept;

struct MergedResults {
  Manifest manifest;  // the first file's, with every file's run_id and host name
  std::vector<CellRecord> cells;
};

// --as hosts: std::invalid_argument names a cell that not every file has.
MergedResults merge_results(std::span<const ResultFile> files, MergeAs as);

}  // namespace ipcbench
