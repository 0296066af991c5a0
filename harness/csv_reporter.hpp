// CsvReporter: RFC 4180 rows of the schema's columns, written with fmt and flushed one by one (docs/csv-schema.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "harness/reporter.hpp"
#include "harness/sys/fd.hpp"

namespace ipcbench {

std::string csv_header();
// One row, without the line end.
std::string csv_row(const RowView& row);

class CsvReporter final : public Reporter {
 public:
  // Opens the file and writes the header; throws std::system_error naming the path if either
  // fails, so that a bad path or a full disk costs no measurement.
  explicit CsvReporter(const std::string& path);

  void on_start(const Manifest& manifest, std::span<const CellRecord>) override { manifest_ = manifest; }
  void on_repetition(const CellRecord& record, int repetition) override;
  void on_cell_done(const CellRecord& record) override;

  // After a write error the file ends with the last whole row.
  [[nodiscard]] std::string_view write_error() const noexcept override { return error_; }

 private:
  bool write_row(const std::string& row);
  void cut_partial_row(std::size_t written) noexcept;

  std::string path_;
  sys::Fd file_;
  std::uint64_t whole_rows_bytes_ = 0;
  std::string error_;
  Manifest manifest_;
};

}  // namespace ipcbench
