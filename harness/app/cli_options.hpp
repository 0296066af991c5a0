// Turning the command line's words into a SuiteRequest: every bad value is one UsageError line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/suite.hpp"

namespace ipcbench {

// The options of `ipcbench run` as typed; defaults are those of the default suite or of run.
struct RunOptions {
  std::string transports = "all";
  std::string modes = "thread,process";
  std::string placements = "cross,same";
  std::string sizes = "64";
  std::string duration = "1s";
  std::optional<std::string> round_trips;
  std::string repetitions = "5";
  std::optional<std::string> warmup;
  std::optional<std::string> cpus;
  std::optional<std::string> peer_timeout;
  std::optional<std::string> inject_delay;
  std::optional<std::string> inject_fault;  // hidden, for the reliability tests
  bool verify = false;
  std::string csv;
  std::string json;
  std::string table = "seed";
  bool quiet = false;
  bool transports_given = false;  // an explicit -t makes a size none of them can carry an error
};

SuiteRequest build_request(std::span<const RegistryEntry> registry, const RunOptions& options);
// The two CPUs to use: --cpus A,B or the first two this process may run on.
std::array<int, 2> choose_cpus(const std::optional<std::string>& cpus, bool need_two);

}  // namespace ipcbench
