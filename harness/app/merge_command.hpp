// `ipcbench merge`: several JSON results made one, with exact percentiles, through the same reporters as a run.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ipcbench {

struct MergeOptions {
  std::vector<std::string> inputs;
  std::string as = "repetitions";
  std::string csv;
  std::string json;
  std::string hgrm;
  std::string table = "auto";
  std::string config;  // the effective configuration as a command line, for the manifest
};

void add_merge_options(CLI::App& merge, MergeOptions& options);
int run_merge(const MergeOptions& options);

}  // namespace ipcbench
