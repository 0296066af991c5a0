// Every fan-out mechanism delivers every message to every subscriber in order, the metrics add up, a dying subscriber fails the cell, and nothing is left behind.
#include <gtest/gtest.h>

#include <string>

#include "fanout/registry.hpp"
#include "harness/clock.hpp"
#include "harness/parse.hpp"
#include "harness/sys/io.hpp"
#include "harness/sys/affinity.hpp"
#include "tests/support/leak_check.hpp"

namespace ipcbench {
namespace {

using namespace std::chrono_literals;

const Clock& test_clock() {
  static const Clock clock = Clock::calibrate(10);
  return clock;
}

FanoutSettings quick_settings() {
  FanoutSettings settings;
  settings.cpus = sys::allowed_cpus();
  settings.duration = 30ms;
  settings.warmup_messages = 100;
  settings.clock = &test_clock();
  return settings;
}

CellSpec cell_of(const FanoutEntry& entry, std::size_t subscribers, Placement placement = Placement::cross) {
  CellSpec cell;
  cell.transport = std::string(entry.info.name);
  cell.mode = Mode::process;
  cell.placement = sys::allowed_cpus().size() < 2 ? Placement::same : placement;
  cell.payload_bytes = 64;
  cell.subscribers = subscribers;
  return cell;
}

class FanoutMechanism : public ::testing::TestWithParam<const FanoutEntry*> {};

std::string name_of(const ::testing::TestParamInfo<const FanoutEntry*>& info) {
  std::string name(info.param->info.name);
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

std::vector<const FanoutEntry*> all_entries() {
  std::vector<const FanoutEntry*> entries;
  for (const FanoutEntry& e : fanout_channels()) entries.push_back(&e);
  return entries;
}

// On loopback with the publisher in lockstep nothing overflows, so even the mechanisms that
// may lose deliver everything: each latency-pass message reaches every subscriber once.
void expect_everything_delivered(const RepResult& r, const FanoutEntry& entry) {
  ASSERT_EQ(r.status, Status::ok) << r.reason;
  const Metrics& m = r.metrics;
  EXPECT_GT(m[Metric::fanout_rate_messages], 0);
  EXPECT_GT(m[Metric::published_per_s], 0);
  ASSERT_GT(m[Metric::fanout_messages], 0);
  if (!entry.info.may_lose) {
    EXPECT_EQ(m[Metric::lost_deliveries], 0);
    ASSERT_TRUE(r.histograms[static_cast<std::size_t>(HistogramKind::last)]);
    EXPECT_EQ(r.histograms[static_cast<std::size_t>(HistogramKind::last)]->count(), m[Metric::fanout_messages]);
  }
  ASSERT_TRUE(r.histograms[static_cast<std::size_t>(HistogramKind::first)]);
  EXPECT_LE(m[Metric::first_p50_ns], m[Metric::last_p50_ns]);
  EXPECT_LE(m[Metric::first_max_ns], m[Metric::last_max_ns] + 1);
  EXPECT_TRUE(m.known(Metric::cpu_publisher_ns_per_msg));
}

TEST_P(FanoutMechanism, OneSubscriberGetsEveryMessage) {
  const FanoutEntry& entry = *GetParam();
  const testing::ResourceSnapshot before;
  expect_everything_delivered(entry.run(cell_of(entry, 1), quick_settings()), entry);
  EXPECT_EQ(testing::ResourceSnapshot(), before) << "a descriptor, child, shm or mqueue name was left behind";
}

TEST_P(FanoutMechanism, ThreeSubscribersEachGetEveryMessageAndTheLastComesAfterTheFirst) {
  const FanoutEntry& entry = *GetParam();
  const RepResult r = entry.run(cell_of(entry, 3), quick_settings());
  expect_everything_delivered(r, entry);
  EXPECT_EQ(r.wait, entry.info.subscribers_poll ? WaitKind::yield : WaitKind::block) << "three pollers cannot each have a CPU";
}

TEST_P(FanoutMechanism, VerifiedPayloadsAtAPacedRateOnOneCpu) {
  const FanoutEntry& entry = *GetParam();
  CellSpec cell = cell_of(entry, 2, Placement::same);
  cell.payload_bytes = 1000;
  cell.offered_rps = 5000;
  FanoutSettings settings = quick_settings();
  settings.verify = true;
  expect_everything_delivered(entry.run(cell, settings), entry);
}

TEST_P(FanoutMechanism, ASubscriberThatDiesFailsTheCellAndNamesIt) {
  const FanoutEntry& entry = *GetParam();
  const testing::ResourceSnapshot before;
  FanoutSettings settings = quick_settings();
  settings.fault_subscriber = 2;
  settings.fault_after = 50;  // in the warm-up
  const RepResult r = entry.run(cell_of(entry, 3), settings);
  EXPECT_EQ(r.status, Status::failed);
  EXPECT_NE(r.reason.find("subscriber 2 of 3"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("SIGKILL"), std::string::npos) << r.reason;
  EXPECT_EQ(testing::ResourceSnapshot(), before) << "a descriptor, child, shm or mqueue name was left behind";
}

// A stopped subscriber holds a lossless publisher back until the timeout, and a lossy one not
// at all; either way the cell fails naming it, once the timeout has passed.
TEST_P(FanoutMechanism, AStoppedSubscriberFailsTheCellWithinTheTimeout) {
  const FanoutEntry& entry = *GetParam();
  const testing::ResourceSnapshot before;
  FanoutSettings settings = quick_settings();
  settings.timeout = 300ms;
  settings.fault_subscriber = 1;
  settings.fault_after = 200;
  settings.fault_action = FaultInjection::Action::sigstop;
  const RepResult r = entry.run(cell_of(entry, 2), settings);
  EXPECT_EQ(r.status, Status::failed);
  EXPECT_NE(r.reason.find("subscriber 1"), std::string::npos) << r.reason;
  EXPECT_EQ(testing::ResourceSnapshot(), before) << "a descriptor, child, shm or mqueue name was left behind";
}

INSTANTIATE_TEST_SUITE_P(All, FanoutMechanism, ::testing::ValuesIn(all_entries()), name_of);

TEST(FanoutPlacement, SubscribersSpinOnlyWithACpuEachAndTheBlockingOnesBlock) {
  CellSpec cell;
  cell.placement = Placement::cross;
  cell.subscribers = 1;
  const std::vector<int> two{0, 1}, three{0, 1, 2};
  EXPECT_EQ(place_fanout(cell, two, true).subscriber_wait, WaitKind::spin);
  EXPECT_EQ(place_fanout(cell, two, true).subscriber_cpus, std::vector<int>{1});
  EXPECT_EQ(place_fanout(cell, two, false).subscriber_wait, WaitKind::block);
  cell.subscribers = 2;
  EXPECT_EQ(place_fanout(cell, two, true).subscriber_wait, WaitKind::yield);
  EXPECT_EQ(place_fanout(cell, three, true).subscriber_wait, WaitKind::spin);
  EXPECT_EQ(place_fanout(cell, three, true).subscriber_cpus, (std::vector<int>{1, 2}));
  cell.subscribers = 3;
  EXPECT_EQ(place_fanout(cell, three, true).subscriber_cpus, (std::vector<int>{1, 2, 1}));
  cell.placement = Placement::same;
  EXPECT_EQ(place_fanout(cell, two, true).subscriber_cpus, (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(place_fanout(cell, two, true).publisher_wait, WaitKind::yield);
  cell.placement = Placement::none;
  EXPECT_TRUE(place_fanout(cell, two, true).subscriber_cpus.empty());
  EXPECT_EQ(place_fanout(cell, two, true).publisher_cpu, -1);
}

TEST(FanoutSkip, SizesAndCpusThatCannotWorkAreSaidSo) {
  const FanoutEntry& udp = fanout_channel_named("udp-multicast");
  CellSpec cell = cell_of(udp, 1);
  cell.placement = Placement::cross;
  cell.payload_bytes = 4;
  EXPECT_NE(fanout_skip_reason(udp.info, cell, {0, 1}).find("8-byte sequence"), std::string::npos);
  cell.payload_bytes = 65508;
  EXPECT_NE(fanout_skip_reason(udp.info, cell, {0, 1}).find("at most 65507 B"), std::string::npos);
  cell.payload_bytes = 64;
  EXPECT_EQ(fanout_skip_reason(udp.info, cell, {0, 1}), "");
  EXPECT_NE(fanout_skip_reason(udp.info, cell, {0}).find("two CPUs"), std::string::npos);
}

TEST(FanoutDatagram, ADatagramOfAnotherSizeIsAProtocolErrorNotAMessage) {
  sys::FdPair pair = sys::make_socketpair(SOCK_DGRAM);
  datagram::set_timeout(pair.second.get(), SO_RCVTIMEO, 20ms);
  std::vector<std::byte> message(64);
  EXPECT_FALSE(datagram::receive(pair.second.get(), message)) << "nothing was sent";
  for (const std::size_t size : {100, 63}) {
    const std::vector<std::byte> other(size);
    ASSERT_EQ(::send(pair.first.get(), other.data(), other.size(), 0), static_cast<ssize_t>(size));
    try {
      (void)datagram::receive(pair.second.get(), message);
      ADD_FAILURE() << "a " << size << " B datagram was taken for a message";
    } catch (const ProtocolError& error) {
      EXPECT_NE(std::string(error.what()).find(std::to_string(size) + " B"), std::string::npos) << error.what();
    }
  }
  ASSERT_EQ(::send(pair.first.get(), message.data(), message.size(), 0), 64);
  EXPECT_TRUE(datagram::receive(pair.second.get(), message));
}

TEST(FanoutRegistry, AnUnknownNameListsTheValidOnes) {
  try {
    (void)fanout_channel_named("carrier-pigeon");
    FAIL() << "no error";
  } catch (const UsageError& error) {
    EXPECT_EQ(std::string(error.what()),
              "unknown fan-out mechanism 'carrier-pigeon' (valid: shm-ring, udp-multicast, zeromq-pubsub, unix-dgram, or all)");
  }
}

}  // namespace
}  // namespace ipcbench
