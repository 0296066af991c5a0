// ProgressReporter: one self-overwriting line on stderr while the suite runs (only on a terminal).
#pragma once

#include "harness/reporter.hpp"

namespace ipcbench {

class ProgressReporter final : public Reporter {
 public:
  explicit ProgressReporter(int repetitions) : repetitions_(repetitions) {}
  void on_start(const Manifest&, std::span<const CellRecord> cells) override;
  void on_repetition(const CellRecord& record, int repetition) override;
  void on_finish(std::span<const CellRecord>) override;

 private:
  int repetitions_;
  std::size_t total_ = 0;
  std::size_t done_ = 0;
};

}  // namespace ipcbench
