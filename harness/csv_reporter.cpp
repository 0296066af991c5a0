// CSV rows: the schema's columns in its order, one write per row.
#include "harness/csv_reporter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fmt/format.h>
#include <system_error>

namespace ipcbench {

std::string csv_header() {
  std::string header;
  for (const Column& column : columns()) header += (header.empty() ? "" : ",") + column.name;
  return header;
}

std::string csv_row(const RowView& row) {
  std::string text;
  bool first = true;
  for (const Column& column : columns()) {
    if (!first) text += ',';
    first = false;
    text += csv_field(to_text(column.value(row)));
  }
  return text;
}

CsvReporter::CsvReporter(const std::string& path)
    : path_(path), file_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) {
  if (!file_) throw fmt::system_error(errno, "cannot open CSV output '{}'", path);
  if (!write_row(csv_header())) throw fmt::system_error(errno, "cannot write CSV output '{}'", path);
}

void CsvReporter::on_repetition(const CellRecord& record, int repetition) {
  write_row(csv_row(repetition_row(manifest_.run_id, manifest_, record, repetition)));
}

void CsvReporter::on_cell_done(const CellRecord& record) {
  write_row(csv_row(aggregate_row(manifest_.run_id, manifest_, record)));
}

// One write per row, straight to the file: an interrupted run leaves whole rows only.
bool CsvReporter::write_row(const std::string& row) {
  if (!error_.empty()) return false;
  const std::string line = row + "\r\n";
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(file_.get(), line.data() + done, line.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0 || errno != EINTR) {
      const int error = n < 0 ? errno : ENOSPC;
      error_ = fmt::format("cannot write CSV output '{}': {}", path_, std::generic_category().message(error));
      cut_partial_row(done);
      errno = error;
      return false;
    }
  }
  whole_rows_bytes_ += line.size();
  return true;
}

// A full disk can take half a row; the file is cut back to its last whole row. A device or a
// pipe cannot be cut, and has nothing to cut.
void CsvReporter::cut_partial_row(std::size_t written) noexcept {
  if (written > 0 && ::ftruncate(file_.get(), static_cast<off_t>(whole_rows_bytes_)) != 0) {
  }
}

}  // namespace ipcbench
