// cli_main: the command line (CLI11) of ipcbench and ipcbench_armed, which differ only in their registry and extra options.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "harness/registry_entry.hpp"

namespace ipcbench {

struct CliFlavour {
  Registry registry;
  // ipcbench_armed: adds its test-only options to `run` and applies them once parsed.
  std::function<void(CLI::App& run)> add_run_options = {};
  std::function<void()> apply_run_options = {};
};

int cli_main(int argc, char** argv, const CliFlavour& flavour);

}  // namespace ipcbench
