// LoadTableReporter: the `load` table, a row per cell as it finishes, then each architecture's capacity under the SLO.
#pragma once

#include <cstdio>
#include <string>

#include "harness/reporter.hpp"

namespace ipcbench {

class LoadTableReporter final : public Reporter {
 public:
  LoadTableReporter(std::FILE* out, std::string slo_label) : out_(out), slo_label_(std::move(slo_label)) {}
  void on_start(const Manifest& manifest, std::span<const CellRecord> cells) override;
  void on_cell_done(const CellRecord& cell) override;
  void on_finish(std::span<const CellRecord> cells) override;

 private:
  void print_memory_slopes(std::span<const CellRecord> cells);

  std::FILE* out_;
  std::string slo_label_;  // "p99 < 1 ms"
  std::vector<std::string> notes_;
};

}  // namespace ipcbench
