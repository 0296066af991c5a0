// What the latency pass costs, what the floor moves, what Pinger::run keeps across batches; never thresholded on time.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "harness/clock.hpp"
#include "harness/histogram.hpp"
#include "harness/limits.hpp"
#include "harness/loops.hpp"
#include "harness/message.hpp"

namespace ipcbench {
namespace {

TEST(LatencyTimer, IsMeasuredAndLeavesTheHistogramEmpty) {
  for (const Clock& clock : {Clock::calibrate(10), Clock::steady()}) {
    LatencyHistogram histogram;
    histogram.record(123);
    const double cost = latency_timer_ns(clock, histogram);
    EXPECT_GT(cost, 0.0) << clock.source();
    EXPECT_LT(cost, 1e6) << clock.source() << ": a clock read of a millisecond is a broken clock";
    EXPECT_EQ(histogram.count(), 0u) << "the pass must start from an empty histogram";
  }
}

TEST(LatencyTimer, TheClockStepIsMeasured) {
  for (const Clock& clock : {Clock::calibrate(10), Clock::steady()}) {
    const double step_ns = clock.measure_step_ns();
    EXPECT_GT(step_ns, 0.0) << clock.source() << ": the clock never moved";
    EXPECT_LT(step_ns, 1e6) << clock.source() << ": a clock that moves by milliseconds is a broken clock";
  }
}

// One thread plays both sides: send() marks the reply, receive() hands it back.
class EchoEndpoint {
 public:
  explicit EchoEndpoint(std::size_t bytes) : reply_(bytes), header_(bytes) {}
  void send(std::span<const std::byte> message) {
    std::copy(message.begin(), message.end(), reply_.begin());
    header_.mark_reply(reply_);
  }
  void receive(std::span<std::byte> message) { std::copy(reply_.begin(), reply_.end(), message.begin()); }

 private:
  std::vector<std::byte> reply_;
  Header header_;
};

// Loses the reply to every third message it is sent, as a datagram socket may.
class LossyEchoEndpoint {
 public:
  static constexpr std::chrono::milliseconds kReplyTimeout{1};
  explicit LossyEchoEndpoint(std::size_t bytes) : echo_(bytes) {}
  void send(std::span<const std::byte> message) {
    echo_.send(message);
    has_reply_ = ++sends_ % 3 != 0;
  }
  bool try_receive(std::span<std::byte> message) {
    if (!has_reply_) return false;
    echo_.receive(message);
    has_reply_ = false;
    return true;
  }

 private:
  EchoEndpoint echo_;
  std::uint64_t sends_ = 0;
  bool has_reply_ = false;
};

// Each batch runs on a copy of the Pinger: what it counted must come back to it.
TEST(PingerRun, KeepsTheSequenceAcrossBatchesAndTimesEveryRoundTrip) {
  std::atomic<std::uint32_t> stop{0};
  for (const std::size_t bytes : {std::size_t{1}, std::size_t{64}}) {
    const InBandFormat format(bytes, stop);
    EchoEndpoint endpoint(bytes);
    MessageBuffer buffer(bytes);
    Pinger<EchoEndpoint, InBandFormat, true> pinger(endpoint, format, buffer.bytes());
    pinger.run(300);  // past 255: a 1-byte sequence wraps, and replies must still match
    pinger.round_trip();
    const Clock clock = Clock::steady();
    LatencyHistogram histogram;
    pinger.run(5, TimestampEach(clock, histogram));
    pinger.run(7, TimestampEach(clock, histogram));
    EXPECT_EQ(histogram.count(), 12u) << bytes << " B: one sample per timed round trip";
    EXPECT_EQ(pinger.round_trips(), 313u) << bytes << " B";
  }
}

TEST(PingerRun, KeepsTheLossesOfEveryBatch) {
  std::atomic<std::uint32_t> stop{0};
  const InBandFormat format(64, stop);
  LossyEchoEndpoint endpoint(64);
  MessageBuffer buffer(64);
  Pinger<LossyEchoEndpoint, InBandFormat, false> pinger(endpoint, format, buffer.bytes());
  pinger.run(3);  // the third request is sent twice
  pinger.run(3);  // and the fifth
  EXPECT_EQ(pinger.round_trips(), 6u);
  EXPECT_EQ(pinger.lost(), 2u);
}

int second_cpu() { return std::thread::hardware_concurrency() > 1 ? 1 : 0; }

TEST(Floor, MovesOneSharedLineOrSeveralLinesEachWay) {
  // Few round trips: on one CPU two spinners hand over only at the scheduler's tick.
  const int rounds = second_cpu() == 0 ? 20 : 2000;
  for (const CacheLines lines : {CacheLines{1, true}, CacheLines{1, false}, CacheLines{2, false}, CacheLines{5, false}}) {
    const double ns = cache_line_round_trip_ns(0, second_cpu(), rounds, 1, lines);
    EXPECT_GT(ns, 0.0) << lines.each_way << " lines";
  }
}

}  // namespace
}  // namespace ipcbench
