// Reading back a JSON results file (--json): its manifest and cells, repetitions and histograms as the run had them.
#pragma once

#include <string>
#include <vector>

#include "harness/manifest.hpp"
#include "harness/schema.hpp"

namespace ipcbench {

struct ResultFile {
  std::string path;
  Manifest manifest;
  std::vector<CellRecord> cells;  // done, aggregated again from their repetitions
};

// std::runtime_error names the file and what in it is not what ipcbench writes.
ResultFile read_result_file(const std::string& path);

}  // namespace ipcbench
