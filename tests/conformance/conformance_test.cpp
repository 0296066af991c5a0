// Every transport of transports/all.hpp, in every mode it supports, at 1 B, 64 B, 4 KiB and its
// maximum: every payload byte verified both ways, and nothing left behind.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/clock.hpp"
#include "harness/run_cell.hpp"
#include "harness/sys/affinity.hpp"
#include "tests/support/leak_check.hpp"
#include "tests/support/type_names.hpp"

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

std::vector<std::size_t> sizes_for(const TransportInfo& info) {
  std::vector<std::size_t> sizes{1, 64, 4096, info.max_payload_bytes};
  sizes.erase(std::remove_if(sizes.begin(), sizes.end(), [&](std::size_t s) { return s > info.max_payload_bytes; }), sizes.end());
  return sizes;
}

template <class T>
class Conformance : public ::testing::Test {};
TYPED_TEST_SUITE(Conformance, testing::AllTransportTypes, testing::TransportName);

TYPED_TEST(Conformance, EchoesEveryByteInEveryModeAndSizeWithoutLeaks) {
  constexpr TransportInfo info = TypeParam::kInfo;
  const bool two_cpus = sys::allowed_cpus().size() > 1;
  for (Mode mode : {Mode::thread, Mode::process}) {
    if (!info.supports(mode)) continue;
    for (std::size_t size : sizes_for(info)) {
      for (Placement placement : {Placement::cross, Placement::same}) {
        if (placement == Placement::cross && !two_cpus) continue;
        // Every size once, and the one-CPU variant of the spinners at 64 B.
        if (placement == Placement::same && size != 64) continue;
        SCOPED_TRACE(fmt::format("{} {} {} {} B", info.name, to_string(mode), to_string(placement), size));
        const testing::ResourceSnapshot before;
        const CellSpec cell{std::string(info.name), mode, placement, size};
        const RunSettings settings = verifying_settings(size);
        const RepResult result = run_repetition<TypeParam>(cell, settings);
        EXPECT_EQ(result.status, Status::ok) << result.reason;
        EXPECT_EQ(result.round_trips, *settings.plan.round_trips);
        EXPECT_EQ(result.latency.round_trips, *settings.plan.round_trips);
        EXPECT_GT(result.msgs_per_s, 0);
        EXPECT_LE(result.latency.min_ns, result.latency.p50_ns);
        EXPECT_LE(result.latency.p50_ns, result.latency.max_ns);
        EXPECT_TRUE(result.client.known);
        if (!LoopbackTransport<TypeParam>) {
          EXPECT_TRUE(result.server.known);
        }
        if (placement == Placement::same && info.needs_two_cpus()) {
          EXPECT_NE(result.wait, WaitKind::spin);
        }
        const testing::ResourceSnapshot after;
        EXPECT_EQ(before.fds, after.fds) << "a descriptor leaked";
        EXPECT_EQ(before.children, after.children) << "a child was not reaped";
        EXPECT_EQ(before.shm, after.shm) << "a /dev/shm name was left";
        EXPECT_EQ(before.mqueues, after.mqueues) << "a message queue was left";
      }
    }
  }
}

}  // namespace
}  // namespace ipcbench
