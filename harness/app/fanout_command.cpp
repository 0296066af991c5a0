// `ipcbench fanout`: options to cells and settings, the clock the one-way times need, the run.
#include "harness/app/fanout_command.hpp"

#include <fmt/format.h>
#include <fstream>

#include "fanout/fanout_table.hpp"
#include "fanout/registry.hpp"
#include "harness/app/cli_options.hpp"
#include "harness/app/run_reported.hpp"
#include "harness/parse.hpp"
#include "harness/sys/affinity.hpp"

namespace ipcbench {
namespace {

// A time read on the publisher's CPU is compared with one read on a subscriber's: that holds
// for the TSC only when the kernel trusts it across CPUs, which it shows by keeping it as its
// clocksource. Otherwise the steady clock, the same on every CPU.
const Clock& one_clock_for_every_cpu(const Clock& calibrated, Clock& fallback) {
  if (calibrated.source() != "tsc") return calibrated;
  std::ifstream in("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string source;
  if (in >> source && source == "tsc") return calibrated;
  fallback = Clock::steady();
  return fallback;
}

}  // namespace

std::string fanout_mechanism_names() { return fanout_channel_names(); }

int run_fanout(const FanoutOptions& o) {
  if (o.table != "fanout" && o.table != "none") throw UsageError(fmt::format("--table '{}': expected fanout or none", o.table));
  std::vector<const FanoutEntry*> mechanisms;
  if (o.mechanisms == "all") {
    for (const FanoutEntry& e : fanout_channels()) mechanisms.push_back(&e);
  } else {
    for (const std::string& name : split_list(o.mechanisms, "--mechanisms")) {
      const FanoutEntry* e = &fanout_channel_named(name);
      if (std::find(mechanisms.begin(), mechanisms.end(), e) == mechanisms.end()) mechanisms.push_back(e);
    }
  }
  std::vector<std::size_t> counts;
  for (const std::string& text : split_list(o.subscribers, "--subscribers")) {
    const std::uint64_t n = parse_count(text, "--subscribers");
    if (n == 0 || n > kMaxFanoutSubscribers)
      throw UsageError(fmt::format("--subscribers '{}': from 1 to {} (a process each)", text, kMaxFanoutSubscribers));
    counts.push_back(n);
  }
  std::vector<std::size_t> sizes;
  for (const std::string& text : split_list(o.sizes, "--sizes")) {
    const std::size_t size = parse_size(text);
    if (size < kFanoutHeaderBytes)
      throw UsageError(fmt::format("--sizes '{}': a fan-out message is at least {} B, its sequence", text, kFanoutHeaderBytes));
    sizes.push_back(size);
  }
  const auto placements = parse_enum_list(o.placements, "placement", std::array{Placement::cross, Placement::same, Placement::none});
  std::vector<std::optional<double>> rates;
  for (const std::string& text : split_list(o.rates, "--rate")) {
    if (text == "lockstep") {
      rates.emplace_back();
      continue;
    }
    try {
      rates.emplace_back(static_cast<double>(parse_decimal_count(text, "--rate")));
    } catch (const UsageError&) {
      throw UsageError(fmt::format("--rate '{}': expected lockstep or messages per second from 1 to 100M (e.g. 10K)", text));
    }
  }

  FanoutSettings settings;
  settings.cpus = o.cpus ? parse_cpu_list(*o.cpus, "--cpus") : sys::allowed_cpus();
  const bool cross = std::find(placements.begin(), placements.end(), Placement::cross) != placements.end();
  if (cross && settings.cpus.size() < 2)
    throw UsageError(fmt::format("placement 'cross' needs two CPUs, one for the publisher and one for subscribers, and only CPU {} "
                                 "is given: use --placement same",
                                 settings.cpus.front()));
  settings.duration = parse_duration(o.duration);
  settings.warmup_messages = parse_count(o.warmup, "--warmup");
  settings.window = parse_decimal_count(o.window, "--window");
  settings.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(o.timeout));
  if (settings.timeout.count() == 0) throw UsageError(fmt::format("--timeout '{}' is under a millisecond", o.timeout));
  settings.verify = o.verify;
  const auto repetitions = parse_count(o.repetitions, "--repetitions");
  if (repetitions == 0 || repetitions > 1000) throw UsageError(fmt::format("--repetitions '{}' must be 1..1000", o.repetitions));

  std::vector<CellRecord> cells;
  std::vector<const FanoutEntry*> entry_of;
  for (std::size_t size : sizes)
    for (const FanoutEntry* e : mechanisms)
      for (std::size_t n : counts)
        for (Placement placement : placements)
          for (const auto& rate : rates) {
            CellSpec spec;
            spec.transport = std::string(e->info.name);
            spec.mode = Mode::process;
            spec.placement = placement;
            spec.payload_bytes = size;
            spec.subscribers = n;
            spec.offered_rps = rate;
            CellRecord record{spec, {}, {}, false};
            if (const std::string why = fanout_skip_reason(e->info, spec, settings.cpus); !why.empty()) {
              record.aggregate.status = Status::skipped;
              record.aggregate.reason = why;
              record.done = true;
            }
            cells.push_back(std::move(record));
            entry_of.push_back(e);
          }

  std::unique_ptr<Reporter> table;
  if (o.table == "fanout") table = std::make_unique<FanoutTableReporter>(stdout, settings.window);
  const ReportedOutput output{o.csv, o.json, o.quiet, static_cast<int>(repetitions), o.config, o.hgrm};
  const int second_cpu = settings.cpus.size() > 1 ? settings.cpus[1] : settings.cpus.front();
  return run_reported(output, std::move(table), {settings.cpus.front(), second_cpu},
                      [&](const Clock& calibrated, const Manifest& manifest, std::span<Reporter* const> reporters) {
                        Clock fallback = Clock::steady();
                        settings.clock = &one_clock_for_every_cpu(calibrated, fallback);
                        const auto run = [&](std::size_t i, int) { return entry_of[i]->run(cells[i].spec, settings); };
                        return run_round_robin(cells, static_cast<int>(repetitions), run, manifest, reporters);
                      });
}

}  // namespace ipcbench
