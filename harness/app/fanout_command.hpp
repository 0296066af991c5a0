// `ipcbench fanout`: one publisher, N subscribers, every message timed to every one of them.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace ipcbench {

struct FanoutOptions {
  std::string mechanisms = "all";
  std::string subscribers = "1,2,4,8";
  std::string sizes = "64";
  std::string placements = "cross";
  std::string rates = "lockstep";
  std::string duration = "500ms";
  std::string repetitions = "3";
  std::string warmup = "1000";
  std::string window = "32";
  std::optional<std::string> cpus;
  std::string timeout = "2s";
  bool verify = false;
  std::string csv;
  std::string json;
  std::string hgrm;
  std::string table = "fanout";
  bool quiet = false;
  std::string config;  // the effective configuration as a command line, for the manifest
};

void add_fanout_options(CLI::App& fanout, FanoutOptions& options);
int run_fanout(const FanoutOptions& options);
// "shm-ring, udp-multicast, ...", or why there are none in this build.
std::string fanout_mechanism_names();

}  // namespace ipcbench
