// OpenLoop against a simulated clock and server: staggering, catch-up, and a stall that the corrected histogram shows and the uncorrected one hides.
#include "load/open_loop.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace ipcbench {
namespace {

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kUs = 1'000;

struct Sent {
  std::size_t connection;
  std::uint64_t due_ns;
};

TEST(OpenLoop, StaggersConnectionsOneIntervalApart) {
  OpenLoop loop(4, 1000, 0, 0, 100 * kMs);
  std::vector<Sent> sent;
  const auto send = [&](std::size_t c, std::uint64_t due) {
    sent.push_back({c, due});
    return true;
  };
  loop.release_due(2 * kMs + kMs / 2, send);
  ASSERT_EQ(sent.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(sent[i].connection, i);
    EXPECT_EQ(sent[i].due_ns, i * kMs);
  }
  EXPECT_EQ(loop.next_due_ns(), 3 * kMs);
  // Connection 0's second request is due at 4 ms, after the other three's first.
  EXPECT_EQ(loop.due_ns(0, 1), 4 * kMs);
}

TEST(OpenLoop, ALateReplyReleasesWhatFellDueOneAfterAnother) {
  OpenLoop loop(1, 1000, 0, 0, 100 * kMs);
  std::vector<Sent> sent;
  const auto send = [&](std::size_t c, std::uint64_t due) {
    sent.push_back({c, due});
    return true;
  };
  loop.release_due(0, send);
  loop.release_due(3 * kMs + kMs / 2, send);  // requests 1-3 fell due while 0 was out
  ASSERT_EQ(sent.size(), 1u);
  loop.completed(0, 3 * kMs + kMs / 2, send);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].due_ns, 1 * kMs);
  loop.completed(0, 3 * kMs + 600 * kUs, send);
  loop.completed(0, 3 * kMs + 700 * kUs, send);
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[3].due_ns, 3 * kMs);
  loop.completed(0, 3 * kMs + 800 * kUs, send);
  EXPECT_EQ(sent.size(), 4u) << "request 4 is due at 4 ms, not yet";
  // Corrected latency counts from the due time: request 1 waited from 1 ms to 3.6 ms.
  EXPECT_EQ(loop.corrected().max(), 3 * kMs + kMs / 2);
  EXPECT_EQ(loop.corrected().count(), 4u);
}

// One connection at 10,000 requests/s for 1 s against a server that answers 10 us after each
// send, except that it stalls for 100 ms at 500 ms.
struct StallResult {
  LatencyHistogram corrected, uncorrected;
  std::uint64_t measured;
};

StallResult run_stalled_server(double rate) {
  constexpr std::uint64_t kStallFrom = 500 * kMs, kStallTo = 600 * kMs, kEnd = 1000 * kMs;
  OpenLoop loop(1, rate, 0, 0, kEnd);
  std::uint64_t now = 0;
  std::uint64_t reply_at = OpenLoop::kNever;
  const auto send = [&](std::size_t, std::uint64_t) {
    const std::uint64_t answered = now + 10 * kUs;
    reply_at = answered >= kStallFrom && answered < kStallTo ? kStallTo : answered;
    loop.sent_at(0, now);
    return true;
  };
  while (now < kEnd + 200 * kMs) {
    loop.release_due(now, send);
    const std::uint64_t next = std::min(loop.next_due_ns(), reply_at);
    if (next == OpenLoop::kNever) break;
    now = std::max(now, next);
    if (now == reply_at) {
      reply_at = OpenLoop::kNever;
      loop.completed(0, now, send);
    }
  }
  return {loop.corrected(), loop.uncorrected(), loop.measured()};
}

TEST(OpenLoop, TheCorrectedHistogramShowsAStallThatTheUncorrectedHides) {
  const StallResult r = run_stalled_server(10000);
  EXPECT_EQ(r.measured, 10000u) << "every request due in the second was answered";
  // 100 ms of stall at 100 us per request: ~1000 requests (10%) were due during it.
  EXPECT_GE(r.corrected.percentile(95), 40 * kMs);
  EXPECT_GE(r.corrected.max(), 99 * kMs);
  // Only the one request sent before the stall waited for it, as the server saw things.
  EXPECT_LE(r.uncorrected.percentile(99.9), 11 * kUs);
  EXPECT_GE(r.uncorrected.max(), 99 * kMs);
}

TEST(OpenLoop, ClosedLoopSendsOnEveryReplyAndCorrectsNothing) {
  const StallResult r = run_stalled_server(0);
  EXPECT_GT(r.measured, 10000u);
  EXPECT_EQ(r.corrected.percentile(99), r.uncorrected.percentile(99));
}

TEST(OpenLoop, AGoneConnectionSendsNoMore) {
  OpenLoop loop(2, 1000, 0, 0, 100 * kMs);
  int sends = 0;
  loop.release_due(0, [&](std::size_t, std::uint64_t) { return ++sends, false; });
  EXPECT_EQ(sends, 1);
  loop.release_due(10 * kMs, [&](std::size_t c, std::uint64_t) {
    EXPECT_EQ(c, 1u);
    return ++sends, true;
  });
  EXPECT_EQ(sends, 2);
  EXPECT_GT(loop.missed(), 90u);
}

}  // namespace
}  // namespace ipcbench
