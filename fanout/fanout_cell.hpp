// One repetition of a fan-out cell: the board and the channel made, a publisher and N subscribers forked and pinned, supervised, turned into metrics.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

#include "fanout/board.hpp"
#include "fanout/channel.hpp"
#include "fanout/fanout_loops.hpp"
#include "harness/results.hpp"
#include "harness/settings.hpp"

namespace ipcbench {

// Arrival times are kept for every message of the latency pass and every subscriber; this
// bounds the board at 8 B x 65 x 100,000 = 52 MB.
inline constexpr std::size_t kMaxLatencyMessages = 100'000;

struct FanoutSettings : FanoutTuning {
  std::vector<int> cpus;  // the publisher's first; subscribers take the others in turn under `cross`
  const Clock* clock = nullptr;
};

// Where each process runs and how the ones that poll shared memory wait.
struct FanoutPlacement {
  int publisher_cpu = -1;             // -1: not pinned
  std::vector<int> subscriber_cpus;   // empty: not pinned
  WaitKind publisher_wait = WaitKind::yield;
  WaitKind subscriber_wait = WaitKind::block;
};

// Spinning needs a CPU of one's own: under `cross` the publisher has one, and subscribers do
// when there are no more of them than CPUs besides the publisher's. Otherwise they yield.
FanoutPlacement place_fanout(const CellSpec& cell, const std::vector<int>& cpus, bool subscribers_poll);

// Why the cell cannot run here, or empty.
std::string fanout_skip_reason(const FanoutInfo& info, const CellSpec& cell, const std::vector<int>& cpus);

FanoutPlan fanout_plan(const CellSpec& cell, const FanoutSettings& settings, const FanoutInfo& info, const FanoutPlacement& where);

// The mechanism-free part: forks the publisher and the subscribers (each pins itself, runs
// its body, and writes what went wrong to the board), watches them against the deadline,
// and reads the board once all have ended cleanly. Any child that fails fails the cell.
using FanoutBody = std::function<void(std::size_t subscriber)>;
RepResult supervise_fanout(const CellSpec& cell, const FanoutSettings& settings, const FanoutPlacement& where,
                           const Board& board, const std::function<void()>& publisher_body, const FanoutBody& subscriber_body);

template <FanoutChannel C>
RepResult run_fanout_repetition(const CellSpec& cell, const FanoutSettings& settings) {
  RepResult result;
  try {
    const FanoutPlacement where = place_fanout(cell, settings.cpus, C::kInfo.subscribers_poll);
    const FanoutPlan plan = fanout_plan(cell, settings, C::kInfo, where);
    const Board board(cell.subscribers, kMaxLatencyMessages);
    C channel(FanoutSetup{cell.payload_bytes, cell.subscribers, where.subscriber_wait, std::chrono::milliseconds(20), settings.timeout});
    const Clock& clock = *settings.clock;
    return supervise_fanout(
        cell, settings, where, board,
        [&] {
          auto publisher = channel.publisher();
          PublisherLoop loop(publisher, board, plan, clock);
          loop.run();
        },
        [&](std::size_t index) {
          auto subscriber = channel.subscriber(index);
          run_subscriber(subscriber, board, index, plan, clock);
        });
  } catch (const std::exception& error) {
    result.status = Status::failed;
    result.reason = fmt::format("set-up: {}", error.what());
  }
  return result;
}

}  // namespace ipcbench
