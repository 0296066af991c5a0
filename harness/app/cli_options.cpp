// Validation of run, ping and serve options against the registry and the machine.
#include "harness/app/cli_options.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/parse.hpp"
#include "harness/sys/affinity.hpp"

namespace ipcbench {
namespace {

std::string names_of(Registry registry, std::optional<Mode> only_mode) {
  std::vector<std::string_view> names;
  for (const RegistryEntry& e : registry)
    if (!only_mode || e.modes.has(*only_mode)) names.push_back(e.info.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

std::uint64_t parse_positive(const std::string& text, std::string_view what) {
  const std::uint64_t value = parse_count(text, what);
  if (value == 0) throw UsageError(fmt::format("invalid {} '0': expected a whole number of at least 1", what));
  return value;
}

std::uint64_t parse_at_most(std::uint64_t value, std::uint64_t limit, std::string_view what) {
  if (value > limit) throw UsageError(fmt::format("invalid {} '{}': expected at most {}", what, value, limit));
  return value;
}

std::chrono::milliseconds parse_peer_timeout(const std::optional<std::string>& text) {
  if (!text) return std::chrono::milliseconds(2000);
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(*text));
  if (timeout.count() < 100) throw UsageError(fmt::format("invalid --peer-timeout '{}': expected at least 100ms", *text));
  return timeout;
}

sys::SocketAddress parse_address(const std::string& text, std::string_view option) {
  try {
    return sys::SocketAddress::parse(text);
  } catch (const std::invalid_argument& error) {
    throw UsageError(fmt::format("{} '{}': {}", option, text, error.what()));
  }
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

// What run and ping share: the pass plan, repetitions, sizes, outputs.
SuiteRequest common_request(const RunOptions& o, std::vector<std::size_t>& sizes) {
  SuiteRequest request;
  check_outputs(o);
  for (const std::string& s : split_list(o.sizes, "size")) sizes.push_back(parse_size(s));
  RunSettings& settings = request.settings;
  settings.plan.duration = parse_duration(o.duration);
  if (o.round_trips) settings.plan.round_trips = parse_at_most(parse_positive(*o.round_trips, "--round-trips"), kMaxPassRoundTrips, "--round-trips");
  if (o.warmup) settings.plan.warmup_round_trips = parse_at_most(parse_count(*o.warmup, "--warmup"), kMaxWarmupRoundTrips, "--warmup");
  settings.plan.verify = o.verify;
  request.repetitions = static_cast<int>(std::min<std::uint64_t>(parse_positive(o.repetitions, "--repetitions"), 1000));
  settings.peer_timeout = parse_peer_timeout(o.peer_timeout);
  if (o.table != "seed" && o.table != "none")
    throw UsageError(fmt::format("invalid --table '{}': valid choices are seed, none", o.table));
  return request;
}

// A size that some of the asked-for transports cannot carry is a skipped cell with its
// reason (a sweep past udp's 65507 B still runs the rest); one that none can carry is a
// mistake.
void check_size_fits_one(const std::vector<const RegistryEntry*>& transports, std::size_t size, Mode mode) {
  const auto largest = std::max_element(transports.begin(), transports.end(), [&](const auto* a, const auto* b) {
    return max_payload_bytes(*a, mode) < max_payload_bytes(*b, mode);
  });
  const std::size_t limit = max_payload_bytes(**largest, mode);
  if (size <= limit) return;
  const std::string_view in_host = mode == Mode::host ? " in host mode" : "";
  throw UsageError(transports.size() == 1
                       ? fmt::format("payload {} is too large for {}{}: its maximum is {}", format_size(size),
                                     (*largest)->info.name, in_host, max_payload_text(**largest, mode))
                       : fmt::format("payload {} is too large for every transport asked for{}: the largest maximum is {} ({})",
                                     format_size(size), in_host, format_size(limit), (*largest)->info.name));
}

std::string modes_text(ModeSet modes) {
  std::vector<std::string_view> names;
  for (Mode mode : {Mode::thread, Mode::process, Mode::host})
    if (modes.has(mode)) names.push_back(to_string(mode));
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

std::vector<const RegistryEntry*> parse_transports(Registry registry, const std::string& text, std::optional<Mode> only_mode) {
  std::vector<const RegistryEntry*> chosen;
  if (text == "all") {
    for (const RegistryEntry& e : registry)
      if (!only_mode || e.modes.has(*only_mode)) chosen.push_back(&e);
    return chosen;
  }
  for (const std::string& name : split_list(text, "transport")) {
    const RegistryEntry* entry = find_transport(registry, name);
    if (!entry)
      throw UsageError(fmt::format("unknown transport '{}': valid transports are {} (or all)", name, names_of(registry, only_mode)));
    if (only_mode && !entry->modes.has(*only_mode))
      throw UsageError(fmt::format("transport '{}' does not run in {} mode: the transports that do are {}", name,
                                   to_string(*only_mode), names_of(registry, only_mode)));
    if (std::find(chosen.begin(), chosen.end(), entry) == chosen.end()) chosen.push_back(entry);
  }
  return chosen;
}

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
  std::array<int, 2> chosen{choose_one_cpu(items[0]), choose_one_cpu(items[1])};
  if (chosen[0] == chosen[1] && need_two)
    throw UsageError(fmt::format("invalid --cpus '{}': placement 'cross' needs two different CPUs", *cpus));
  return chosen;
}

int choose_one_cpu(const std::string& text) {
  if (!sys::kCanPin)
    throw UsageError(fmt::format("--cpus {}: {} cannot pin a thread to a CPU, so there is no CPU to choose: leave --cpus out", text,
                                 sys::kSystemName));
  const std::vector<int> allowed = sys::allowed_cpus();
  const std::uint64_t cpu = parse_count(text, "--cpus");
  if (cpu > 4096 || std::find(allowed.begin(), allowed.end(), static_cast<int>(cpu)) == allowed.end())
    throw UsageError(fmt::format("CPU {} in --cpus does not exist or is not allowed here: valid CPUs are {}", text,
                                 fmt::join(allowed, ",")));
  return static_cast<int>(cpu);
}

SuiteRequest build_request(Registry registry, const RunOptions& o) {
  std::vector<std::size_t> sizes;
  SuiteRequest request = common_request(o, sizes);
  const auto transports = parse_transports(registry, o.transports, std::nullopt);
  for (const std::string& mode : split_list(o.modes, "mode"))
    if (mode == to_string(Mode::host))
      throw UsageError("mode 'host' is measured with `ipcbench serve` on one side and `ipcbench ping` on the other, not with `run`");
  const auto modes = parse_enum_list(o.modes, "mode", std::array{Mode::thread, Mode::process});
  const auto placements = parse_enum_list(o.placements, "placement", std::array{Placement::cross, Placement::same, Placement::none});
  for (Placement placement : placements)
    if (!sys::kCanPin && placement != Placement::none)
      throw UsageError(fmt::format("placement '{}' pins both sides to CPUs, which {} cannot do: the only placement here is none "
                                   "(--placement none)", to_string(placement), sys::kSystemName));
  const bool cross = std::find(placements.begin(), placements.end(), Placement::cross) != placements.end();
  request.settings.cpus = choose_cpus(o.cpus, cross);
  const auto waits = parse_enum_list(o.waits, "wait", std::array{WaitPolicy::own, WaitPolicy::busy_poll});
  const bool busy_poll = std::find(waits.begin(), waits.end(), WaitPolicy::busy_poll) != waits.end();
  if (busy_poll && std::none_of(transports.begin(), transports.end(), [](const RegistryEntry* e) { return e->busy_polls; })) {
    std::vector<std::string_view> polling;
    for (const RegistryEntry& e : registry)
      if (e.busy_polls) polling.push_back(e.info.name);
    throw UsageError(fmt::format("wait 'busy-poll': none of the transports asked for has it: those that do are {}",
                                 fmt::join(polling, ", ")));
  }
  // On one CPU a poller keeps the CPU from the peer it waits for: such cells are not made.
  const bool two_cpu_placement = std::any_of(placements.begin(), placements.end(), [](Placement p) { return p != Placement::same; });
  if (busy_poll && !two_cpu_placement)
    throw UsageError("wait 'busy-poll' needs placement cross or none: on one CPU each poll keeps the CPU from the peer");

  for (std::size_t size : sizes) {
    if (o.transports_given) check_size_fits_one(transports, size, Mode::thread);
    for (const RegistryEntry* entry : transports) {
      bool any_mode = false;
      for (Mode mode : modes) {
        if (!entry->modes.has(mode)) continue;
        any_mode = true;
        for (WaitPolicy wait : waits) {
          if (wait == WaitPolicy::busy_poll && !entry->busy_polls) continue;
          for (Placement placement : placements) {
            if (wait == WaitPolicy::busy_poll && placement == Placement::same) continue;
            CellSpec& cell = request.cells.emplace_back(CellSpec{std::string(entry->info.name), mode, placement, size, {}});
            cell.wait = wait;
          }
        }
      }
      if (!any_mode && o.transports_given)
        throw UsageError(fmt::format("transport '{}' does not run in the mode(s) asked for ({}): it runs in {}", entry->info.name,
                                     o.modes, modes_text(entry->modes)));
    }
  }
  return request;
}

SuiteRequest build_ping_request(Registry registry, const RunOptions& o) {
  std::vector<std::size_t> sizes;
  SuiteRequest request = common_request(o, sizes);
  const auto transports = parse_transports(registry, o.transports, Mode::host);
  if (!o.connect) throw UsageError("ping needs --connect HOST:PORT: the address `ipcbench serve` listens on");
  request.settings.server = parse_address(*o.connect, "--connect");
  if (o.cpus) request.settings.host_cpu = choose_one_cpu(*o.cpus);
  // The manifest's CPUs: the one the client pins to, if any; the server reports its own.
  request.settings.cpus.fill(request.settings.host_cpu.value_or(-1));
  for (std::size_t size : sizes) {
    if (o.transports_given) check_size_fits_one(transports, size, Mode::host);
    for (const RegistryEntry* entry : transports)
      request.cells.push_back({std::string(entry->info.name), Mode::host, Placement::none, size, *o.connect});
  }
  return request;
}

ServeSettings build_serve_settings(Registry registry, const ServeOptions& o) {
  ServeSettings settings;
  settings.transports = parse_transports(registry, o.transports, Mode::host);
  settings.listen = parse_address(o.listen, "--listen");
  if (o.cpus) settings.cpu = choose_one_cpu(*o.cpus);
  settings.peer_timeout = parse_peer_timeout(o.peer_timeout);
  if (o.sessions) settings.sessions = parse_positive(*o.sessions, "--sessions");
  return settings;
}

std::uint64_t parse_decimal_count(std::string_view text, std::string_view what) {
  std::uint64_t scale = 1;
  std::string_view digits = text;
  if (!digits.empty() && (digits.back() == 'K' || digits.back() == 'k')) scale = 1000;
  if (!digits.empty() && (digits.back() == 'M' || digits.back() == 'm')) scale = 1'000'000;
  if (scale != 1) digits.remove_suffix(1);
  std::uint64_t value = 0;
  try {
    value = parse_count(digits, what);
  } catch (const UsageError&) {
    throw UsageError(fmt::format("{} '{}' is not a count (e.g. 100, 1K, 10K, 1M)", what, text));
  }
  if (value == 0 || value > 100'000'000 / scale) throw UsageError(fmt::format("{} '{}' must be between 1 and 100M", what, text));
  return value * scale;
}

std::vector<int> parse_cpu_list(const std::string& text, std::string_view what) {
  const std::vector<int> allowed = sys::allowed_cpus();
  std::vector<int> cpus;
  for (const std::string& item : split_list(text, what)) {
    const auto cpu = static_cast<int>(parse_count(item, what));
    if (std::find(allowed.begin(), allowed.end(), cpu) == allowed.end())
      throw UsageError(fmt::format("{} '{}': CPU {} is not one this process may run on ({})", what, text, cpu,
                                   fmt::join(allowed, ",")));
    cpus.push_back(cpu);
  }
  return cpus;
}

}  // namespace ipcbench
