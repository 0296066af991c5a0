// CsvReporter: RFC 4180 rows written with fmt and flushed one by one (docs/csv-schema.md).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "harness/reporter.hpp"

namespace ipcbench {

// Quotes a field when it holds a comma, a quote, CR or LF; doubles the quotes inside.
std::string csv_field(std::string_view text);
std::string csv_header();

class CsvReporter final : public Reporter {
 public:
  // Throws std::system_error naming the path if it cannot be opened for writing.
  explicit CsvReporter(const std::string& path);
  ~CsvReporter() override;
  CsvReporter(const CsvReporter&) = delete;
  CsvReporter& operator=(const CsvReporter&) = delete;

  void on_start(const Manifest& manifest, std::span<const CellRecord>) override;
  void on_repetition(const CellRecord& record, int repetition) override;
  void on_cell_done(const CellRecord& record) override;

 private:
  void write_row(const std::string& row);

  std::string path_;
  std::FILE* file_;
  std::string manifest_fields_;
  std::string run_id_;
};

// One row (without the manifest fields and the line end), for tests and the JSON writer.
std::string csv_row(const CellRecord& record, const RepResult& result, std::string_view row_kind, int repetition,
                    Status status, std::string_view reason, const CellAggregate* aggregate);

}  // namespace ipcbench
