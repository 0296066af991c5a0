// Every transport of transports/all.hpp, in every mode its shape gives it (host mode against a real HostServer on
// loopback), at 1 B, 64 B, 4 KiB and its maximum: every payload byte verified both ways, and nothing left behind.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/clock.hpp"
#include "harness/host/serve.hpp"
#include "harness/repetition.hpp"
#include "harness/suite.hpp"
#include "harness/sys/affinity.hpp"
#include "tests/support/leak_check.hpp"
#include "tests/support/placements.hpp"
#include "tests/support/transport_types.hpp"
#include "transports/registry.hpp"

namespace ipcbench {
namespace {

const Clock& test_clock() {
  static const Clock clock = Clock::calibrate(10);
  return clock;
}

RunSettings verifying_settings(std::size_t payload_bytes) {
  RunSettings settings;
  // Enough round trips to cross every partial-I/O path, few enough for 1 MiB payloads.
  settings.plan.round_trips = std::clamp<std::uint64_t>((std::uint64_t{8} << 20) / payload_bytes, 5, 200);
  settings.plan.warmup_round_trips = 10;
  settings.plan.verify = true;
  const auto cpus = sys::allowed_cpus();
  settings.cpus = {cpus.front(), cpus.size() > 1 ? cpus[1] : cpus.front()};
  settings.clock = &test_clock();
  return settings;
}

std::vector<std::size_t> sizes_for(std::size_t max_payload_bytes) {
  std::vector<std::size_t> sizes{1, 64, 4096, max_payload_bytes};
  std::erase_if(sizes, [&](std::size_t s) { return s > max_payload_bytes; });
  return sizes;
}

void expect_measured(const RepResult& result, const RunSettings& settings) {
  EXPECT_EQ(result.status, Status::ok) << result.reason;
  const Metrics& m = result.metrics;
  EXPECT_EQ(m[Metric::round_trips], static_cast<double>(*settings.plan.round_trips));
  EXPECT_EQ(m[Metric::latency_round_trips], static_cast<double>(*settings.plan.round_trips));
  EXPECT_GT(m[Metric::msgs_per_s], 0);
  EXPECT_LE(m[Metric::rtt_min_ns], m[Metric::rtt_p50_ns]);
  EXPECT_LE(m[Metric::rtt_p50_ns], m[Metric::rtt_max_ns]);
  EXPECT_TRUE(m.known(Metric::cpu_client_ns_per_rt));
}

void expect_nothing_left(const testing::ResourceSnapshot& before) {
  const testing::ResourceSnapshot after;
  EXPECT_EQ(before.fds, after.fds) << "a descriptor leaked";
  EXPECT_EQ(before.children, after.children) << "a child was not reaped";
  EXPECT_EQ(before.shm, after.shm) << "a /dev/shm name was left";
  EXPECT_EQ(before.mqueues, after.mqueues) << "a message queue was left";
}

template <class T>
class Conformance : public ::testing::Test {};
TYPED_TEST_SUITE(Conformance, testing::AllTransportTypes, testing::TransportName);

TYPED_TEST(Conformance, EchoesEveryByteInThreadAndProcessModeWithoutLeaks) {
  constexpr TransportInfo info = TypeParam::kInfo;
  constexpr ModeSet modes = modes_of<TypeParam>();
  const bool two_cpus = sys::allowed_cpus().size() > 1;
  for (Mode mode : {Mode::thread, Mode::process}) {
    if (!modes.has(mode)) continue;
    for (std::size_t size : sizes_for(info.max_payload_here())) {
      for (Placement placement : testing::placements()) {
        if (placement == Placement::cross && !two_cpus) continue;
        // Every size once, and the one-CPU variant of the spinners at 64 B.
        if (placement == Placement::same && size != 64) continue;
        SCOPED_TRACE(fmt::format("{} {} {} {} B", info.name, to_string(mode), to_string(placement), size));
        const testing::ResourceSnapshot before;
        const CellSpec cell{std::string(info.name), mode, placement, size, {}};
        const RunSettings settings = verifying_settings(size);
        const RepResult result = run_repetition<TypeParam>(cell, settings);
        expect_measured(result, settings);
        if constexpr (!LoopbackTransport<TypeParam>) {
          EXPECT_TRUE(result.metrics.known(Metric::cpu_server_ns_per_rt));
        }
        if (placement == Placement::same && info.needs_two_cpus()) {
          EXPECT_NE(result.wait, WaitKind::spin);
        }
        expect_nothing_left(before);
      }
    }
  }
}

// --wait busy-poll: every size in both modes, one side on each CPU (on one CPU such a cell
// is not made), through the dispatch a run uses.
template <class T>
class BusyPollConformance : public ::testing::Test {};
TYPED_TEST_SUITE(BusyPollConformance, testing::BusyPollingTransportTypes, testing::TransportName);

TYPED_TEST(BusyPollConformance, EchoesEveryByteInThreadAndProcessModeWithoutLeaks) {
  if (sys::allowed_cpus().size() < 2) GTEST_SKIP() << "busy-poll cells need two CPUs";
  constexpr TransportInfo info = TypeParam::kInfo;
  for (Mode mode : {Mode::thread, Mode::process}) {
    for (std::size_t size : sizes_for(info.max_payload_here())) {
      SCOPED_TRACE(fmt::format("{} busy-poll {} {} B", info.name, to_string(mode), size));
      const testing::ResourceSnapshot before;
      CellSpec cell{std::string(info.name), mode, testing::spread_placement(true), size, {}};
      cell.wait = WaitPolicy::busy_poll;
      const RunSettings settings = verifying_settings(size);
      const RepResult result = run_repetition<TypeParam>(cell, settings);
      expect_measured(result, settings);
      EXPECT_EQ(result.wait, WaitKind::busy_poll);
      expect_nothing_left(before);
    }
  }
}

// The same client against a HostServer in a child process, as `ipcbench serve` runs it:
// one session per size, then the server stops by itself.
TYPED_TEST(Conformance, EchoesEveryByteInHostModeAgainstARealServer) {
  if constexpr (!SocketTransport<TypeParam>) {
    GTEST_SKIP() << TypeParam::kInfo.name << " is a " << shape_of<TypeParam>() << ": it has no host mode";
  } else {
    constexpr TransportInfo info = TypeParam::kInfo;
    const RegistryEntry* entry = find_transport(registry(), info.name);
    ASSERT_NE(entry, nullptr);
    const std::vector<std::size_t> sizes = sizes_for(max_payload_bytes(*entry, Mode::host));
    const testing::ResourceSnapshot before;
    {
      ServeSettings serve;
      serve.listen = sys::SocketAddress::loopback(0);
      serve.transports = {entry};
      serve.sessions = sizes.size();
      HostServer server(serve);
      const sys::SocketAddress address = server.address();
      sys::Child child = sys::Child::fork([&] {
        const Manifest manifest = Manifest::collect(test_clock(), -1, -1);
        return server.run(manifest, test_clock());
      });
      for (std::size_t size : sizes) {
        SCOPED_TRACE(fmt::format("{} host {} B", info.name, size));
        const CellSpec cell{std::string(info.name), Mode::host, Placement::none, size, address.to_string()};
        RunSettings settings = verifying_settings(size);
        settings.server = address;
        const RepResult result = run_repetition<TypeParam>(cell, settings);
        expect_measured(result, settings);
        EXPECT_TRUE(result.metrics.known(Metric::cpu_server_ns_per_rt)) << "the server's RESULT did not arrive";
        ASSERT_TRUE(result.server_manifest.has_value());
        EXPECT_FALSE(result.server_manifest->cpu_model.empty());
      }
      for (int i = 0; i < 500 && !child.try_reap(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      ASSERT_TRUE(child.status().has_value()) << "the server did not stop after its sessions";
      EXPECT_TRUE(child.status()->clean()) << child.status()->describe();
    }
    expect_nothing_left(before);
  }
}

}  // namespace
}  // namespace ipcbench
