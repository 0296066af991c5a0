// `ipcbench load` and `ipcbench serve --arch`: the command line of the servers-under-load half.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace ipcbench {

struct LoadOptions {
  std::string architectures = "all";
  std::string connections = "100,1K";
  std::string rates = "10K,max";
  std::string workloads = "echo";
  std::string sizes = "64";
  std::string duration = "2s";
  std::string warmup = "500ms";
  std::string repetitions = "1";
  std::string slo = "p99=1ms";
  std::optional<std::string> connect;
  std::optional<std::string> server_cpus;
  std::optional<std::string> generator_cpus;
  std::optional<std::string> workers;
  std::string timeout = "2s";
  std::string kv_keys = "10000";
  std::string kv_get_ratio = "0.9";
  std::string frame = "ipcbench";
  std::string csv;
  std::string json;
  std::string hgrm;
  std::string table = "load";
  bool quiet = false;
  std::string config;  // the effective configuration as a command line, for the manifest
};

void add_load_options(CLI::App& load, LoadOptions& options);
// Where the servers are not built (cmake/Platform.cmake: they need epoll, eventfd and io_uring),
// run_load and serve_architecture throw a UsageError that says so.
int run_load(const LoadOptions& options);
// The architectures for the options' help: the registry's names, or why there are none.
[[nodiscard]] std::string server_architecture_names();

// `ipcbench serve --arch A`: one architecture in the foreground until SIGINT/SIGTERM.
struct ArchServeOptions {
  std::optional<std::string> architecture;
  std::string workload = "echo";
  std::string size = "64";  // http: the response body
  std::optional<std::string> workers;
};
void add_arch_serve_options(CLI::App& serve, ArchServeOptions& options);
int serve_architecture(const ArchServeOptions& options, const std::string& listen, const std::optional<std::string>& cpus);

}  // namespace ipcbench
