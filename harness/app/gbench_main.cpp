// ipcbench_gbench: every registry entry as a Google Benchmark, plus micro-benchmarks of the harness itself.
#include <benchmark/benchmark.h>

#include <vector>

#include <fmt/format.h>

#include "harness/clock.hpp"
#include "harness/csv_reporter.hpp"
#include "harness/histogram.hpp"
#include "harness/loops.hpp"
#include "harness/suite.hpp"
#include "harness/supervisor.hpp"
#include "harness/sys/affinity.hpp"
#include "transports/registry.hpp"

namespace ipcbench {
namespace {

using namespace std::chrono_literals;

// One benchmark iteration is one repetition of the cell, run by the same code as the CLI;
// the iteration's time is the mean round trip of its throughput pass, and every metric it
// measured is a counter named as its CSV column.
void run_cell(benchmark::State& state, const RegistryEntry* entry, CellSpec cell, RunSettings settings) {
  for (auto _ : state) {
    const RepResult r = entry->run(cell, settings);
    if (r.status != Status::ok) {
      state.SkipWithError(r.reason.c_str());
      return;
    }
    state.SetIterationTime(1 / r.metrics[Metric::msgs_per_s]);
    for (const MetricInfo& info : kMetrics)
      if (r.metrics.known(info.metric)) state.counters[std::string(info.name)] = r.metrics[info.metric];
  }
}

void register_cells(const Clock& clock) {
  const auto cpus = sys::allowed_cpus();
  RunSettings settings;
  settings.plan.duration = 200ms;
  settings.cpus = {cpus.front(), cpus.size() > 1 ? cpus[1] : cpus.front()};
  settings.clock = &clock;
  // Where threads cannot be pinned (macOS), the one placement there is.
  const std::vector<Placement> placements =
      sys::kCanPin ? std::vector{Placement::cross, Placement::same} : std::vector{Placement::none};
  for (const RegistryEntry& entry : registry()) {
    for (Mode mode : {Mode::thread, Mode::process}) {
      for (Placement placement : placements) {
        if (placement == Placement::cross && cpus.size() < 2) continue;
        for (std::size_t size : {std::size_t{64}, std::size_t{4096}}) {
          const CellSpec cell{std::string(entry.info.name), mode, placement, size, {}};
          if (!skip_reason(entry, cell).empty()) continue;
          const std::string name = fmt::format("{}/{}/{}/{}", cell.transport, to_string(mode), to_string(placement), size);
          benchmark::RegisterBenchmark(name.c_str(), run_cell, &entry, cell, settings)
              ->Iterations(1)
              ->UseManualTime()
              ->Unit(benchmark::kNanosecond);
        }
      }
    }
  }
}

// The harness's own cost per round trip, piece by piece.
struct NullEndpoint {
  void send(std::span<const std::byte> message) noexcept { benchmark::DoNotOptimize(message.data()); }
  // Replies as a server would, so the client's sequence check passes.
  void receive(std::span<std::byte> message) noexcept { Header(message.size()).mark_reply(message); }
};

void register_harness_benchmarks(const Clock& clock) {
  benchmark::RegisterBenchmark("harness/clock_read", [&clock](benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(clock.now());
  });
  benchmark::RegisterBenchmark("harness/histogram_record", [](benchmark::State& state) {
    static LatencyHistogram histogram;
    std::uint64_t value = 1;
    for (auto _ : state) {
      histogram.record(value);
      value = value * 6364136223846793005ull + 1442695040888963407ull;  // spread over buckets
      value >>= 40;
    }
    benchmark::DoNotOptimize(histogram.count());
  });
  benchmark::RegisterBenchmark("harness/csv_row", [](benchmark::State& state) {
    CellRecord record{{"shm-spin", Mode::process, Placement::cross, 64, {}}, {RepResult{}}, {}, true};
    record.repetitions[0].metrics.set(Metric::round_trips, 1e6);
    record.repetitions[0].metrics.set(Metric::msgs_per_s, 3.4e6);
    const Manifest manifest;
    for (auto _ : state) benchmark::DoNotOptimize(csv_row(repetition_row("run", manifest, record, 1)));
  });
  benchmark::RegisterBenchmark("harness/empty_ping_loop", [](benchmark::State& state) {
    MessageBuffer buffer(64);
    NullEndpoint endpoint;
    std::atomic<std::uint32_t> stop{0};
    const InBandFormat format(64, stop);
    Pinger<NullEndpoint, InBandFormat, false> pinger(endpoint, format, buffer.bytes());
    for (auto _ : state) pinger.round_trip();
  });
}

}  // namespace
}  // namespace ipcbench

int main(int argc, char** argv) {
  const ipcbench::Clock clock = ipcbench::Clock::calibrate();
  ipcbench::install_interrupt_handlers();
  ipcbench::register_harness_benchmarks(clock);
  ipcbench::register_cells(clock);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
