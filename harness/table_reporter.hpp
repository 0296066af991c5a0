// TableReporter: the seed notes' table (Method | Same Process | Msgs/sec), one column group per placement.
#pragma once

#include <cstdio>

#include "harness/reporter.hpp"

namespace ipcbench {

class TableReporter final : public Reporter {
 public:
  explicit TableReporter(std::FILE* out) : out_(out) {}
  void on_start(const Manifest& manifest, std::span<const CellRecord>) override { manifest_ = manifest; }
  void on_finish(std::span<const CellRecord> cells) override;

 private:
  std::FILE* out_;
  Manifest manifest_;
};

// The table as text, for tests and for results/*.md.
std::string render_seed_table(std::span<const CellRecord> cells, const Manifest& manifest);

}  // namespace ipcbench
