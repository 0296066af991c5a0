// ipcbench_armed: ipcbench with the test hooks compiled in (--inject-fault, --inject-delay), for the reliability tests and the gate demo.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/app/cli.hpp"
#include "harness/app/cli_options.hpp"
#include "harness/armed_hooks.hpp"
#include "harness/parse.hpp"
#include "transports/armed_registry.hpp"

namespace ipcbench {
namespace {

template <class Enum, std::size_t N>
Enum parse_choice(std::string_view text, std::string_view what, const std::array<std::pair<std::string_view, Enum>, N>& choices) {
  for (const auto& [name, value] : choices)
    if (name == text) return value;
  std::vector<std::string_view> names;
  for (const auto& choice : choices) names.push_back(choice.first);
  throw UsageError(fmt::format("invalid --inject-fault {} '{}': valid {}s are {}", what, text, what, fmt::join(names, ", ")));
}

// TRANSPORT:SIDE:ACTION:PHASE, e.g. pipe:server:kill:throughput (docs/reliability.md).
FaultInjection parse_inject_fault(const std::string& text) {
  using namespace std::string_view_literals;
  using Side = FaultInjection::Side;
  using Action = FaultInjection::Action;
  std::vector<std::string> parts;
  for (std::size_t start = 0, colon = 0; colon != std::string::npos; start = colon + 1) {
    colon = text.find(':', start);
    parts.push_back(text.substr(start, colon - start));
  }
  if (parts.size() != 4)
    throw UsageError(fmt::format("invalid --inject-fault '{}': expected TRANSPORT:SIDE:ACTION:PHASE, e.g. pipe:server:kill:throughput", text));
  parse_transports(armed_registry(), parts[0], std::nullopt);
  return {parts[0],
          parse_choice(parts[1], "side", std::array{std::pair{"client"sv, Side::client}, std::pair{"server"sv, Side::server}}),
          parse_choice(parts[2], "action",
                       std::array{std::pair{"kill"sv, Action::sigkill}, std::pair{"stop"sv, Action::sigstop},
                                  std::pair{"exit"sv, Action::exit_early}}),
          parse_choice(parts[3], "phase",
                       std::array{std::pair{"setup"sv, Phase::setup}, std::pair{"warmup"sv, Phase::warmup},
                                  std::pair{"throughput"sv, Phase::throughput}, std::pair{"latency"sv, Phase::latency}})};
}

InjectedDelay parse_inject_delay(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos)
    throw UsageError(fmt::format("invalid --inject-delay '{}': expected TRANSPORT=DURATION, e.g. shm-spin=100ns", text));
  const std::string name = text.substr(0, eq);
  parse_transports(armed_registry(), name, std::nullopt);
  return {name, static_cast<std::uint64_t>(parse_duration(text.substr(eq + 1)).count())};
}

}  // namespace
}  // namespace ipcbench

int main(int argc, char** argv) {
  using namespace ipcbench;
  std::optional<std::string> fault;
  std::optional<std::string> delay;
  return cli_main(argc, argv,
                  {armed_registry(),
                   [&](CLI::App& run) {
                     run.add_option("--inject-delay", delay,
                                    "TRANSPORT=DURATION: busy-wait after every reply of one transport (to prove the regression gate)");
                     run.add_option("--inject-fault", fault, "TRANSPORT:SIDE:ACTION:PHASE: a side of that transport fails on purpose");
                   },
                   [&] {
                     if (fault) ArmedHooks::fault = parse_inject_fault(*fault);
                     if (delay) ArmedHooks::delay = parse_inject_delay(*delay);
                   }});
}
