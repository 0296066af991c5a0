// FanoutTableReporter: the `fanout` table, a row per cell as it finishes: the publisher's rate, latency to the first and the last subscriber, loss, CPU.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "harness/reporter.hpp"

namespace ipcbench {

class FanoutTableReporter final : public Reporter {
 public:
  FanoutTableReporter(std::FILE* out, std::size_t window) : out_(out), window_(window) {}
  void on_start(const Manifest& manifest, std::span<const CellRecord> cells) override;
  void on_cell_done(const CellRecord& cell) override;
  void on_finish(std::span<const CellRecord> cells) override;

 private:
  std::FILE* out_;
  std::size_t window_;
  std::vector<std::string> notes_;
};

}  // namespace ipcbench
