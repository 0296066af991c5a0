// Validation of run options against the registry and the machine.
#include "harness/app/cli_options.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/parse.hpp"
#include "harness/sys/affinity.hpp"

namespace ipcbench {
namespace {

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

std::string available_names(std::span<const RegistryEntry> registry) {
  std::vector<std::string_view> names;
  for (const RegistryEntry& e : registry)
    if (e.available()) names.push_back(e.info.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

std::vector<const RegistryEntry*> parse_transports(std::span<const RegistryEntry> registry, const std::string& text) {
  std::vector<const RegistryEntry*> chosen;
  if (text == "all") {
    for (const RegistryEntry& e : registry)
      if (e.available()) chosen.push_back(&e);
    return chosen;
  }
  for (const std::string& name : split_list(text, "transport")) {
    const auto it = std::find_if(registry.begin(), registry.end(), [&](const RegistryEntry& e) { return e.info.name == name; });
    if (it == registry.end())
      throw UsageError(fmt::format("unknown transport '{}': valid transports are {} (or all)", name, available_names(registry)));
    if (!it->available())
      throw UsageError(fmt::format("transport '{}' is not available here: {}", name, it->info.unavailable_reason));
    if (std::find(chosen.begin(), chosen.end(), &*it) == chosen.end()) chosen.push_back(&*it);
  }
  return chosen;
}

std::uint64_t parse_positive(const std::string& text, std::string_view what) {
  const std::uint64_t value = parse_count(text, what);
  if (value == 0) throw UsageError(fmt::format("invalid {} '0': expected a whole number of at least 1", what));
  return value;
}

InjectedDelay parse_inject_delay(std::span<const RegistryEntry> registry, const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos)
    throw UsageError(fmt::format("invalid --inject-delay '{}': expected TRANSPORT=DURATION, e.g. shm-spin=100ns", text));
  const std::string name = text.substr(0, eq);
  parse_transports(registry, name);
  return {name, static_cast<std::uint64_t>(parse_duration(text.substr(eq + 1)).count())};
}

template <class Enum, std::size_t N>
Enum parse_choice(std::string_view text, std::string_view what, const std::array<std::pair<std::string_view, Enum>, N>& choices) {
  for (const auto& [name, value] : choices)
    if (name == text) return value;
  std::vector<std::string_view> names;
  for (const auto& choice : choices) names.push_back(choice.first);
  throw UsageError(fmt::format("invalid --inject-fault {} '{}': valid {}s are {}", what, text, what, fmt::join(names, ", ")));
}

// TRANSPORT:SIDE:ACTION:PHASE, e.g. pipe:server:kill:throughput. Test-only (docs/reliability.md).
FaultInjection parse_inject_fault(std::span<const RegistryEntry> registry, const std::string& text) {
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
  parse_transports(registry, parts[0]);
  return {parts[0],
          parse_choice(parts[1], "side", std::array{std::pair{"client"sv, Side::client}, std::pair{"server"sv, Side::server}}),
          parse_choice(parts[2], "action",
                       std::array{std::pair{"kill"sv, Action::sigkill}, std::pair{"stop"sv, Action::sigstop},
                                  std::pair{"exit"sv, Action::exit_early}}),
          parse_choice(parts[3], "phase",
                       std::array{std::pair{"setup"sv, Phase::setup}, std::pair{"warmup"sv, Phase::warmup},
                                  std::pair{"throughput"sv, Phase::throughput}, std::pair{"latency"sv, Phase::latency}})};
}

// The file a path names, as far as it exists: "out.csv", "./out.csv" and a symlink to it agree.
std::filesystem::path resolved(const std::string& path) {
  std::error_code ignored;
  return std::filesystem::weakly_canonical(std::filesystem::absolute(path, ignored).lexically_normal(), ignored);
}

// Two reporters writing one file would leave neither: the JSON would overwrite the CSV.
void check_outputs(const RunOptions& o) {
  if (o.csv.empty() || o.json.empty()) return;
  if (o.csv == o.json || resolved(o.csv) == resolved(o.json))
    throw UsageError(fmt::format("--csv '{}' and --json '{}' name the same file: give each its own", o.csv, o.json));
}

}  // namespace

std::array<int, 2> choose_cpus(const std::optional<std::string>& cpus, bool need_two) {
  const std::vector<int> allowed = sys::allowed_cpus();
  const std::string valid = fmt::format("{}", fmt::join(allowed, ","));
  if (!cpus) {
    if (allowed.size() < 2 && need_two)
      throw UsageError(fmt::format("placement 'cross' needs two CPUs, but only CPU {} is available: use --placement same", valid));
    return {allowed.at(0), allowed.size() > 1 ? allowed[1] : allowed[0]};
  }
  const std::vector<std::string> items = split_list(*cpus, "CPU list");
  if (items.size() != 2)
    throw UsageError(fmt::format("invalid --cpus '{}': expected two CPUs A,B from {}", *cpus, valid));
  std::array<int, 2> chosen{};
  for (std::size_t i = 0; i < 2; ++i) {
    const std::uint64_t cpu = parse_count(items[i], "--cpus");
    if (cpu > 4096 || std::find(allowed.begin(), allowed.end(), static_cast<int>(cpu)) == allowed.end())
      throw UsageError(fmt::format("CPU {} in --cpus '{}' does not exist or is not allowed here: valid CPUs are {}", items[i], *cpus, valid));
    chosen[i] = static_cast<int>(cpu);
  }
  if (chosen[0] == chosen[1] && need_two)
    throw UsageError(fmt::format("invalid --cpus '{}': placement 'cross' needs two different CPUs", *cpus));
  return chosen;
}

SuiteRequest build_request(std::span<const RegistryEntry> registry, const RunOptions& o) {
  SuiteRequest request;
  check_outputs(o);
  const auto transports = parse_transports(registry, o.transports);
  const auto modes = parse_enum_list(o.modes, "mode", std::array{Mode::thread, Mode::process, Mode::host});
  if (std::find(modes.begin(), modes.end(), Mode::host) != modes.end())
    throw UsageError("mode 'host' is measured with `ipcbench serve` and `ipcbench ping`, not with `run`");
  const auto placements = parse_enum_list(o.placements, "placement", std::array{Placement::cross, Placement::same, Placement::none});
  std::vector<std::size_t> sizes;
  for (const std::string& s : split_list(o.sizes, "size")) sizes.push_back(parse_size(s));

  RunSettings& settings = request.settings;
  settings.plan.duration = parse_duration(o.duration);
  if (o.round_trips) settings.plan.round_trips = parse_positive(*o.round_trips, "--round-trips");
  if (o.warmup) settings.plan.warmup_round_trips = parse_count(*o.warmup, "--warmup");
  settings.plan.verify = o.verify;
  request.repetitions = static_cast<int>(std::min<std::uint64_t>(parse_positive(o.repetitions, "--repetitions"), 1000));
  if (o.peer_timeout) {
    settings.peer_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(*o.peer_timeout));
    if (settings.peer_timeout.count() < 100)
      throw UsageError(fmt::format("invalid --peer-timeout '{}': expected at least 100ms", *o.peer_timeout));
  }
  if (o.inject_delay) settings.injected_delay = parse_inject_delay(registry, *o.inject_delay);
  if (o.inject_fault) settings.fault = parse_inject_fault(registry, *o.inject_fault);
  const bool cross = std::find(placements.begin(), placements.end(), Placement::cross) != placements.end();
  settings.cpus = choose_cpus(o.cpus, cross);

  for (std::size_t size : sizes) {
    // A size that some of the asked-for transports cannot carry is a skipped cell with its
    // reason (a sweep past udp's 65507 B still runs the rest); one that none can carry is
    // a mistake.
    const auto largest = std::max_element(transports.begin(), transports.end(), [](const auto* a, const auto* b) {
      return a->info.max_payload_bytes < b->info.max_payload_bytes;
    });
    if (o.transports_given && size > (*largest)->info.max_payload_bytes)
      throw UsageError(transports.size() == 1
                           ? fmt::format("payload {} is too large for {}: its maximum is {}", format_size(size),
                                         (*largest)->info.name, format_size((*largest)->info.max_payload_bytes))
                           : fmt::format("payload {} is too large for every transport asked for: the largest maximum is {} ({})",
                                         format_size(size), format_size((*largest)->info.max_payload_bytes),
                                         (*largest)->info.name));
    for (const RegistryEntry* entry : transports) {
      const TransportInfo& info = entry->info;
      bool any_mode = false;
      for (Mode mode : modes) {
        if (!info.supports(mode)) continue;
        any_mode = true;
        for (Placement placement : placements) request.cells.push_back({std::string(info.name), mode, placement, size});
      }
      if (!any_mode && o.transports_given)
        throw UsageError(fmt::format("transport '{}' does not run in the mode(s) asked for ({}): it runs in {}", info.name,
                                     o.modes, info.process_mode ? "thread, process" : "thread"));
    }
  }
  if (o.table != "seed" && o.table != "none")
    throw UsageError(fmt::format("invalid --table '{}': valid choices are seed, none", o.table));
  return request;
}

}  // namespace ipcbench
