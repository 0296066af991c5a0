// The fan-out repetition's supervision: placement, forking, the deadline, reasons for a failed child, and the board turned into metrics.
#include "fanout/fanout_cell.hpp"

#include <poll.h>

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <optional>
#include <span>

#include "fanout/channel.hpp"
#include "harness/supervisor.hpp"
#include "harness/sys/affinity.hpp"
#include "harness/sys/child.hpp"

namespace ipcbench {

FanoutPlacement place_fanout(const CellSpec& cell, const std::vector<int>& cpus, bool subscribers_poll) {
  FanoutPlacement where;
  const auto polling = [&](WaitKind kind) { return subscribers_poll ? kind : WaitKind::block; };
  switch (cell.placement) {
    case Placement::cross: {
      where.publisher_cpu = cpus.front();
      const std::size_t others = cpus.size() - 1;
      for (std::size_t i = 0; i < cell.subscribers; ++i) where.subscriber_cpus.push_back(cpus[1 + i % others]);
      where.publisher_wait = WaitKind::spin;
      where.subscriber_wait = polling(cell.subscribers <= others ? WaitKind::spin : WaitKind::yield);
      break;
    }
    case Placement::same:
      where.publisher_cpu = cpus.front();
      where.subscriber_cpus.assign(cell.subscribers, cpus.front());
      where.subscriber_wait = polling(WaitKind::yield);
      break;
    case Placement::none: where.subscriber_wait = polling(WaitKind::yield); break;
  }
  return where;
}

std::string fanout_skip_reason(const FanoutInfo& info, const CellSpec& cell, const std::vector<int>& cpus) {
  if (cell.payload_bytes < kFanoutHeaderBytes)
    return fmt::format("{} B cannot hold the 8-byte sequence every fan-out message carries", cell.payload_bytes);
  if (cell.payload_bytes > info.max_payload_bytes)
    return fmt::format("{} carries at most {} B", info.name, info.max_payload_bytes);
  if (cell.placement == Placement::cross && cpus.size() < 2) return "cross needs two CPUs: one for the publisher, one for subscribers";
  return {};
}

FanoutPlan fanout_plan(const CellSpec& cell, const FanoutSettings& settings, const FanoutInfo& info, const FanoutPlacement& where) {
  FanoutPlan plan;
  static_cast<FanoutTuning&>(plan) = settings;
  plan.payload_bytes = cell.payload_bytes;
  plan.subscribers = cell.subscribers;
  plan.rate = cell.offered_rps.value_or(0);
  plan.may_lose = info.may_lose;
  plan.wait = where.publisher_wait;
  return plan;
}

namespace {

class Failed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A child's end, in the words of a reason: what it wrote to the board when it threw, or how it ended.
std::string describe_end(const sys::ExitStatus& status, const Reason& written) {
  if (!status.clean() && !status.signaled() && !written.get().empty()) return std::string(written.get());
  return status.describe();
}

void record_latencies(RepResult& result, const Board& board, const Clock& clock) {
  const FanoutControl& control = board.control();
  const std::uint64_t* sent = board.sent();
  LatencyHistogram first, last;
  for (std::uint64_t k = 0; k < control.latency_messages; ++k) {
    std::uint64_t earliest = ~std::uint64_t{0}, latest = 0;
    bool everyone = true;
    for (std::size_t i = 0; i < board.subscribers(); ++i) {
      const std::uint64_t arrived = board.arrivals(i)[k];
      if (arrived == 0) {
        everyone = false;
        continue;
      }
      earliest = std::min(earliest, arrived);
      latest = std::max(latest, arrived);
    }
    // One TSC for every CPU (the kernel's clocksource), so a time read on one CPU and one on
    // another compare; a read that comes out before its send is the clocks' skew, counted as 0.
    const auto since_sent = [&](std::uint64_t arrived) { return arrived > sent[k] ? clock.to_ns(arrived - sent[k]) : 0; };
    if (earliest != ~std::uint64_t{0}) first.record(since_sent(earliest));
    if (everyone) last.record(since_sent(latest));
  }
  keep_histogram(result.metrics, result.histograms, HistogramKind::first, first);
  keep_histogram(result.metrics, result.histograms, HistogramKind::last, last);
}

void record_metrics(RepResult& result, const CellSpec& cell, const Board& board, const Clock& clock) {
  const FanoutControl& control = board.control();
  Metrics& m = result.metrics;
  if (control.rate_ns > 0) m.set(Metric::published_per_s, static_cast<double>(control.rate_messages) * 1e9 / static_cast<double>(control.rate_ns));
  m.set(Metric::fanout_rate_messages, static_cast<double>(control.rate_messages));
  m.set(Metric::fanout_messages, static_cast<double>(control.latency_messages));
  record_latencies(result, board, clock);
  std::uint64_t lost = 0, subscriber_cpu = 0;
  for (std::size_t i = 0; i < board.subscribers(); ++i) {
    lost += board.subscriber(i).lost;
    subscriber_cpu += board.subscriber(i).rate_cpu_ns;
  }
  const double deliveries = static_cast<double>(control.last.load()) * static_cast<double>(cell.subscribers);
  m.set(Metric::lost_deliveries, static_cast<double>(lost));
  if (deliveries > 0) m.set(Metric::loss_ratio, static_cast<double>(lost) / deliveries);
  if (control.rate_messages > 0) {
    const double messages = static_cast<double>(control.rate_messages);
    m.set(Metric::cpu_publisher_ns_per_msg, static_cast<double>(control.rate_cpu_ns) / messages);
    m.set(Metric::cpu_subscriber_ns_per_msg, static_cast<double>(subscriber_cpu) / static_cast<double>(cell.subscribers) / messages);
  }
}

}  // namespace

RepResult supervise_fanout(const CellSpec& cell, const FanoutSettings& settings, const FanoutPlacement& where,
                           const Board& board, const std::function<void()>& publisher_body, const FanoutBody& subscriber_body) {
  RepResult result;
  result.wait = where.subscriber_wait;
  try {
    // The subscribers' owners live on the stack, not in a block of the heap: every child forked
    // after such a block inherits it, and a child ending in _exit may hold no pointer to it any
    // more (the noreturn path need not keep callee-saved registers), which valgrind reports as
    // a leak of that child.
    if (cell.subscribers > kMaxFanoutSubscribers)
      throw Failed(fmt::format("{} subscribers: at most {}", cell.subscribers, kMaxFanoutSubscribers));
    std::array<std::optional<sys::Child>, kMaxFanoutSubscribers> subscriber_slots;
    const std::span<std::optional<sys::Child>> subscribers(subscriber_slots.data(), cell.subscribers);
    for (std::size_t i = 0; i < subscribers.size(); ++i) {
      subscribers[i].emplace(sys::Child::fork([&, i] {
        SubscriberState& me = board.subscriber(i);
        try {
          sys::name_current_thread("ipcb-subscriber");
          if (!where.subscriber_cpus.empty()) sys::pin_current_thread(where.subscriber_cpus[i]);
          me.cpu = sys::current_cpu();
          subscriber_body(i);
          return 0;
        } catch (const std::exception& error) {
          me.error.set(error.what());
          return 1;
        }
      }));
    }
    sys::Child publisher = sys::Child::fork([&] {
      FanoutControl& control = board.control();
      try {
        sys::name_current_thread("ipcb-publisher");
        if (where.publisher_cpu >= 0) sys::pin_current_thread(where.publisher_cpu);
        control.cpu = sys::current_cpu();
        publisher_body();
        return 0;
      } catch (const std::exception& error) {
        control.error.set(error.what());
        return 1;
      }
    });

    const auto deadline = std::chrono::steady_clock::now() + 4 * settings.timeout + 2 * settings.duration + std::chrono::seconds(2);
    std::vector<pollfd> watched;
    std::optional<std::chrono::steady_clock::time_point> publisher_ended;
    for (;;) {
      if (interrupt_signal()) {
        result.interrupted = true;
        throw Failed("interrupted");
      }
      bool everyone_done = true;
      if (!publisher.status()) {
        if (const auto end = publisher.try_reap(); end && !end->clean())
          throw Failed(fmt::format("the publisher (pid {}) {}", publisher.pid(), describe_end(*end, board.control().error)));
        everyone_done = everyone_done && publisher.status().has_value();
      }
      for (std::size_t i = 0; i < subscribers.size(); ++i) {
        if (subscribers[i]->status()) continue;
        if (const auto end = subscribers[i]->try_reap(); end && !end->clean())
          throw Failed(fmt::format("subscriber {} of {} (pid {}) {}", i + 1, subscribers.size(), subscribers[i]->pid(),
                                   describe_end(*end, board.subscriber(i).error)));
        everyone_done = everyone_done && subscribers[i]->status().has_value();
      }
      if (everyone_done) break;
      // Once the publisher is done a subscriber has nothing left to wait for but its next
      // receive's timeout: one still there after the cell's timeout is stopped or stuck.
      if (publisher.status() && !publisher_ended) publisher_ended = std::chrono::steady_clock::now();
      if (publisher_ended && std::chrono::steady_clock::now() >= *publisher_ended + settings.timeout)
        for (std::size_t i = 0; i < subscribers.size(); ++i)
          if (!subscribers[i]->status())
            throw Failed(fmt::format("subscriber {} of {} (pid {}) had not ended {} ms after the publisher finished (it is {})",
                                     i + 1, subscribers.size(), subscribers[i]->pid(), settings.timeout.count(),
                                     subscribers[i]->state()));
      if (std::chrono::steady_clock::now() >= deadline)
        throw Failed(fmt::format("the fan-out did not finish within {} ms (the publisher is {})",
                                 std::chrono::duration_cast<std::chrono::milliseconds>(4 * settings.timeout + 2 * settings.duration).count() + 2000,
                                 publisher.status() ? "done" : publisher.state()));
      watched.clear();
      if (!publisher.status() && publisher.pidfd() >= 0) watched.push_back({publisher.pidfd(), POLLIN, 0});
      for (const std::optional<sys::Child>& s : subscribers)
        if (!s->status() && s->pidfd() >= 0) watched.push_back({s->pidfd(), POLLIN, 0});
      ::poll(watched.data(), watched.size(), 50);
    }
    record_metrics(result, cell, board, *settings.clock);
    result.client_cpu = board.control().cpu;
    result.server_cpu = cell.subscribers > 0 ? board.subscriber(0).cpu : -1;
  } catch (const std::exception& error) {
    result.status = Status::failed;
    result.reason = error.what();
  }
  return result;
}

}  // namespace ipcbench
