// HgrmReporter: each finished cell's latency distribution, its repetitions merged, as .hgrm files in one directory.
#pragma once

#include <filesystem>
#include <string>

#include "harness/reporter.hpp"

namespace ipcbench {

// DIR/<key>.<histogram>.hgrm, e.g. pipe_thread_cross_64.rtt.hgrm: the key columns that are
// set, joined by '_', with any character a file name should not hold replaced by '-'.
std::string hgrm_file_name(const CellRecord& record, std::string_view histogram);

class HgrmReporter final : public Reporter {
 public:
  // Creates the directory if it is missing; std::system_error names it if that fails.
  explicit HgrmReporter(std::filesystem::path directory);
  void on_cell_done(const CellRecord& record) override;
  [[nodiscard]] std::string_view write_error() const noexcept override { return error_; }

 private:
  std::filesystem::path directory_;
  std::string error_;
};

}  // namespace ipcbench
