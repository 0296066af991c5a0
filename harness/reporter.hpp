// Reporter: the edge where results leave the harness (table, CSV, JSON, progress); virtual, called per repetition.
#pragma once

#include <span>
#include <string_view>

#include "harness/manifest.hpp"
#include "harness/schema.hpp"

namespace ipcbench {

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void on_start(const Manifest&, std::span<const CellRecord>) {}
  virtual void on_repetition(const CellRecord&, int /*repetition*/) {}
  virtual void on_cell_done(const CellRecord&) {}
  virtual void on_finish(std::span<const CellRecord>) {}
  // The first error writing its output, or empty: after one it writes no more, and the run
  // goes on for the other reporters.
  [[nodiscard]] virtual std::string_view write_error() const noexcept { return {}; }
};

}  // namespace ipcbench
