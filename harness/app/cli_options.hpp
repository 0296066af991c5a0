// Turning the command line's words into requests: every bad value is one UsageError line.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "harness/host/serve.hpp"
#include "harness/parse.hpp"
#include "harness/suite.hpp"
#include "harness/sys/affinity.hpp"

namespace ipcbench {

// The options of `ipcbench run` and `ipcbench ping` as typed; defaults are those of run.
struct RunOptions {
  std::string transports = "all";
  std::string modes = "thread,process";
  std::string placements = sys::kCanPin ? "cross,same" : "none";  // cross and same need pinning
  std::string waits = "own";
  std::string sizes = "64";
  std::string duration = "1s";
  std::optional<std::string> round_trips;
  std::string repetitions = "5";
  std::optional<std::string> warmup;
  std::optional<std::string> cpus;
  std::optional<std::string> peer_timeout;
  std::optional<std::string> connect;  // ping: the server's HOST:PORT
  bool verify = false;
  std::string csv;
  std::string json;
  std::string hgrm;
  std::string table = "seed";
  bool quiet = false;
  bool transports_given = false;  // an explicit -t makes a size none of them can carry an error
  std::string config;             // the effective configuration as a command line, for the manifest
};

struct ServeOptions {
  std::string transports = "all";
  std::string listen = "127.0.0.1:7007";
  std::optional<std::string> cpus;
  std::optional<std::string> peer_timeout;
  std::optional<std::string> sessions;
};

// `run`: thread and process mode cells.
SuiteRequest build_request(Registry registry, const RunOptions& options);
// `ping`: host-mode cells against the server at options.connect.
SuiteRequest build_ping_request(Registry registry, const RunOptions& options);
ServeSettings build_serve_settings(Registry registry, const ServeOptions& options);
// The two CPUs to use: --cpus A,B or the first two this process may run on.
std::array<int, 2> choose_cpus(const std::optional<std::string>& cpus, bool need_two);
// One CPU of this machine, as given to ping's or serve's --cpus.
int choose_one_cpu(const std::string& cpu);
// The transports named by a list (or "all"), in the registry's order, each at most once.
std::vector<const RegistryEntry*> parse_transports(Registry registry, const std::string& text, std::optional<Mode> only_mode);

// A list of an enum's names ("cross,same"), each at most once, in the order given; a name
// that is not one of `choices` is a UsageError naming the valid ones.
template <class Enum, std::size_t N>
std::vector<Enum> parse_enum_list(const std::string& text, std::string_view what, const std::array<Enum, N>& choices) {
  std::vector<Enum> values;
  for (const std::string& item : split_list(text, what)) {
    const auto it = std::find_if(choices.begin(), choices.end(), [&](Enum e) { return to_string(e) == item; });
    if (it == choices.end()) {
      std::vector<std::string_view> names;
      for (Enum e : choices) names.push_back(to_string(e));
      throw UsageError(fmt::format("invalid {} '{}': valid {}s are {}", what, item, what, fmt::join(names, ", ")));
    }
    if (std::find(values.begin(), values.end(), *it) == values.end()) values.push_back(*it);
  }
  return values;
}

// Connections, rates and subscribers count things, so their K and M are decimal: 1K is 1000.
std::uint64_t parse_decimal_count(std::string_view text, std::string_view what);
// CPUs this process may run on, as "0,1"; any other is a UsageError naming the allowed ones.
std::vector<int> parse_cpu_list(const std::string& text, std::string_view what);

}  // namespace ipcbench
