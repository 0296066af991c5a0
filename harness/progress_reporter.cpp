// Progress on stderr: written between repetitions, never while one is being measured.
#include "harness/progress_reporter.hpp"

#include <cstdio>
#include <fmt/format.h>

#include "harness/parse.hpp"

namespace ipcbench {

void ProgressReporter::on_start(const Manifest&, std::span<const CellRecord> cells) {
  total_ = cells.size() * static_cast<std::size_t>(repetitions_);
}

void ProgressReporter::on_repetition(const CellRecord& record, int repetition) {
  ++done_;
  const CellSpec& c = record.spec;
  fmt::print(stderr, "\r\033[K[{}/{}] repetition {}/{}: {} {} {} {}", done_, total_, repetition, repetitions_,
             method_of(c), to_string(c.mode), to_string(c.placement), format_size(c.payload_bytes));
  std::fflush(stderr);
}

void ProgressReporter::on_finish(std::span<const CellRecord>) {
  fmt::print(stderr, "\r\033[K");
  std::fflush(stderr);
}

}  // namespace ipcbench
