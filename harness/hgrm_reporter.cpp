// The .hgrm files of a run: written as each cell finishes, so an interrupted run keeps the finished ones.
#include "harness/hgrm_reporter.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>

#include "harness/hgrm.hpp"

namespace ipcbench {

std::string hgrm_file_name(const CellRecord& record, std::string_view histogram) {
  std::string name;
  for (const std::string& value : key_values(record)) {
    if (value.empty()) continue;
    if (!name.empty()) name += '_';
    for (char c : value) {
      const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
      name += plain ? c : '-';
    }
  }
  return fmt::format("{}.{}.hgrm", name, histogram);
}

HgrmReporter::HgrmReporter(std::filesystem::path directory) : directory_(std::move(directory)) {
  std::error_code error;
  std::filesystem::create_directories(directory_, error);
  if (error || !std::filesystem::is_directory(directory_))
    throw std::system_error(error ? error : std::make_error_code(std::errc::not_a_directory),
                            fmt::format("cannot create the --hgrm directory '{}'", directory_.string()));
}

void HgrmReporter::on_cell_done(const CellRecord& record) {
  if (!error_.empty()) return;
  for (const HistogramKindInfo& kind : kHistogramKinds) {
    const auto merged = merged_histogram(record.repetitions, kind.kind);
    if (!merged) continue;
    const std::filesystem::path path = directory_ / hgrm_file_name(record, kind.name);
    std::ofstream out(path, std::ios::trunc);
    out << hgrm_text(*merged);
    out.close();
    if (!out) {
      error_ = fmt::format("cannot write '{}': {}", path.string(), std::strerror(errno));
      return;
    }
  }
}

}  // namespace ipcbench
