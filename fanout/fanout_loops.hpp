// The publisher's and a subscriber's loops, templates over the mechanism's ends: join, warm-up, the rate pass, the latency pass.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <fmt/format.h>
#include <span>
#include <stdexcept>
#include <vector>

#include "fanout/board.hpp"
#include "fanout/channel.hpp"
#include "fanout/shm_ring.hpp"
#include "harness/clock.hpp"
#include "harness/fault_injection.hpp"
#include "harness/message.hpp"
#include "harness/sys/io.hpp"

namespace ipcbench {

// How every cell of a run is measured (the command line's), the same for every cell.
struct FanoutTuning {
  std::uint64_t warmup_messages = 1000;
  std::uint64_t window = 32;                 // rate pass: messages ahead of the slowest subscriber, at most
  std::chrono::nanoseconds duration{std::chrono::milliseconds(500)};  // of each pass
  std::chrono::milliseconds timeout{2000};   // a subscriber that holds a lossless publisher back this long fails it
  std::chrono::milliseconds loss_wait{20};   // a lossy one: the publisher goes on, the message is counted lost
  bool verify = false;
  // Tests: subscriber fault_subscriber (1-based; 0: none) does fault_action to itself after
  // fault_after messages.
  std::size_t fault_subscriber = 0;
  std::uint64_t fault_after = 0;
  FaultInjection::Action fault_action = FaultInjection::Action::sigkill;
};

// What a repetition asks of its publisher and subscribers: the run's tuning and the cell's own.
struct FanoutPlan : FanoutTuning {
  std::size_t payload_bytes = 64;
  std::size_t subscribers = 1;
  double rate = 0;  // latency pass: messages per second; 0: each after the last is read
  bool may_lose = false;
  WaitKind wait = WaitKind::spin;  // how the publisher waits
};

[[nodiscard]] inline std::uint64_t process_cpu_ns() noexcept {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto ns = [](const timeval& t) { return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000 + static_cast<std::uint64_t>(t.tv_usec) * 1000; };
  return ns(usage.ru_utime) + ns(usage.ru_stime);
}

inline void stamp_sequence(std::span<std::byte> message, std::uint64_t sequence) noexcept {
  std::memcpy(message.data(), &sequence, sizeof sequence);
}
[[nodiscard]] inline std::uint64_t sequence_of(std::span<const std::byte> message) noexcept {
  std::uint64_t sequence = 0;
  std::memcpy(&sequence, message.data(), sizeof sequence);
  return sequence;
}
inline constexpr std::size_t kFanoutHeaderBytes = sizeof(std::uint64_t);

template <FanoutPublisher P>
class PublisherLoop {
 public:
  PublisherLoop(P& publisher, const Board& board, const FanoutPlan& plan, const Clock& clock)
      : publisher_(publisher), board_(board), control_(board.control()), plan_(plan), clock_(clock), message_(plan.payload_bytes) {}

  void run() {
    await_every_subscriber(&SubscriberState::ready, "to start");
    join();
    for (std::uint64_t i = 0; i < plan_.warmup_messages; ++i) publish_within_window();
    await_all_through(next_ - 1);
    rate_pass();
    latency_pass();
    control_.last.store(next_ - 1, std::memory_order_release);
    control_.finished.store(1, std::memory_order_release);
  }

 private:
  void publish(std::uint64_t sequence) {
    stamp_sequence(message_, sequence);
    if (plan_.verify) fill_pattern(message_, kFanoutHeaderBytes, sequence);
    publisher_.publish(message_);
  }

  // Join messages until each subscriber has read one: a ZeroMQ subscription and a multicast
  // membership take effect some time after the call that asks for them.
  void join() {
    const auto deadline = std::chrono::steady_clock::now() + plan_.timeout;
    for (;;) {
      publish(0);
      if (poll_until([&] { return all(&SubscriberState::joined); }, WaitKind::yield,
                     std::chrono::steady_clock::now() + std::chrono::milliseconds(1)))
        return;
      if (std::chrono::steady_clock::now() >= deadline) fail_waiting(&SubscriberState::joined, "to read a join message");
    }
  }

  void rate_pass() {
    control_.rate_begin.store(next_, std::memory_order_release);
    const std::uint64_t cpu_start = process_cpu_ns();
    const std::uint64_t start = clock_.now();
    const std::uint64_t stop = start + ticks(plan_.duration);
    std::uint64_t sent = 0;
    do {
      for (int i = 0; i < 64; ++i, ++sent) publish_within_window();
    } while (clock_.now() < stop);
    await_all_through(next_ - 1);
    control_.rate_ns = clock_.to_ns(clock_.now() - start);
    control_.rate_cpu_ns = process_cpu_ns() - cpu_start;
    control_.rate_messages = sent;
  }

  void latency_pass() {
    const std::uint64_t first = next_;
    control_.latency_begin.store(first, std::memory_order_release);
    std::uint64_t* sent = board_.sent();
    const std::uint64_t capacity = board_.latency_capacity();
    const std::uint64_t start = clock_.now();
    const std::uint64_t stop = start + ticks(plan_.duration);
    std::uint64_t count = 0;
    if (plan_.rate > 0) {
      // Open loop: message k is due at start + k / rate and timed from then, whether or not
      // the publisher could send it on time (no coordinated omission).
      const double ticks_per_message = 1e9 / plan_.rate / clock_.ns_per_tick();
      for (; count < capacity; ++count) {
        const auto due = start + static_cast<std::uint64_t>(static_cast<double>(count) * ticks_per_message);
        if (due >= stop) break;
        while (clock_.now() < due)
          if (plan_.wait != WaitKind::spin) ::sched_yield();
        sent[count] = due;
        publish(next_++);
      }
      await_all_through(next_ - 1);
    } else {
      for (; count < capacity && (count % 64 != 0 || clock_.now() < stop); ++count) {
        sent[count] = clock_.now();
        publish(next_++);
        await_all_through(next_ - 1);
      }
    }
    control_.latency_messages = count;
  }

  void publish_within_window() {
    if (next_ - slowest_ > plan_.window) {
      const auto held = [&] {
        slowest_ = slowest_through();
        return next_ - slowest_ <= plan_.window;
      };
      if (!poll_until(held, plan_.wait, std::chrono::steady_clock::now() + hold_limit())) {
        if (!plan_.may_lose) fail_behind(next_ - plan_.window);
        count_as_lost();
        slowest_ = next_ - plan_.window;  // the message it waits for is lost: go on
      }
    }
    publish(next_++);
  }

  void await_all_through(std::uint64_t sequence) {
    const auto caught_up = [&] { return slowest_through() >= sequence; };
    if (caught_up()) return;
    if (poll_until(caught_up, plan_.wait, std::chrono::steady_clock::now() + hold_limit())) return;
    if (!plan_.may_lose) fail_behind(sequence);
    count_as_lost();
  }

  // A lossy mechanism's publisher goes on without a subscriber that lost a message; one that
  // has read nothing at all for the timeout is not losing messages but gone or stopped.
  void count_as_lost() {
    const auto now = std::chrono::steady_clock::now();
    const std::uint64_t slowest = slowest_through();
    if (slowest != stalled_at_) {
      stalled_at_ = slowest;
      stalled_since_ = now;
    } else if (now - stalled_since_ >= plan_.timeout) {
      fail_behind(slowest + 1);
    }
  }

  [[nodiscard]] std::chrono::milliseconds hold_limit() const noexcept { return plan_.may_lose ? plan_.loss_wait : plan_.timeout; }

  [[nodiscard]] std::uint64_t slowest_through() const noexcept {
    std::uint64_t lowest = kNoSequence;
    for (std::size_t i = 0; i < plan_.subscribers; ++i)
      lowest = std::min(lowest, board_.subscriber(i).through.load(std::memory_order_acquire));
    return lowest;
  }

  [[nodiscard]] bool all(std::atomic<std::uint32_t> SubscriberState::*flag) const noexcept {
    for (std::size_t i = 0; i < plan_.subscribers; ++i)
      if ((board_.subscriber(i).*flag).load(std::memory_order_acquire) == 0) return false;
    return true;
  }

  void await_every_subscriber(std::atomic<std::uint32_t> SubscriberState::*flag, std::string_view what) {
    if (!poll_until([&] { return all(flag); }, WaitKind::yield, std::chrono::steady_clock::now() + plan_.timeout))
      fail_waiting(flag, what);
  }

  [[noreturn]] void fail_waiting(std::atomic<std::uint32_t> SubscriberState::*flag, std::string_view what) const {
    std::size_t late = 0;
    while (late + 1 < plan_.subscribers && (board_.subscriber(late).*flag).load() != 0) ++late;
    throw std::runtime_error(fmt::format("subscriber {} did not get {} within {} ms", late + 1, what, plan_.timeout.count()));
  }

  [[noreturn]] void fail_behind(std::uint64_t sequence) const {
    std::size_t late = 0;
    for (std::size_t i = 0; i < plan_.subscribers; ++i)
      if (board_.subscriber(i).through.load() < board_.subscriber(late).through.load()) late = i;
    throw std::runtime_error(fmt::format("subscriber {} had not read message {} after {} ms (it was at {})", late + 1, sequence,
                                         plan_.timeout.count(), board_.subscriber(late).through.load()));
  }

  [[nodiscard]] std::uint64_t ticks(std::chrono::nanoseconds span) const noexcept {
    return static_cast<std::uint64_t>(static_cast<double>(span.count()) / clock_.ns_per_tick());
  }

  P& publisher_;
  const Board& board_;
  FanoutControl& control_;
  const FanoutPlan& plan_;
  const Clock& clock_;
  std::vector<std::byte> message_;
  std::uint64_t next_ = 1;     // the next message's sequence
  std::uint64_t slowest_ = 0;  // the slowest subscriber's through when last read
  std::uint64_t stalled_at_ = kNoSequence;
  std::chrono::steady_clock::time_point stalled_since_{};
};

template <FanoutSubscriber S>
void run_subscriber(S& subscriber, const Board& board, std::size_t index, const FanoutPlan& plan, const Clock& clock) {
  SubscriberState& me = board.subscriber(index);
  const FanoutControl& control = board.control();
  std::uint64_t* arrivals = board.arrivals(index);
  const std::uint64_t capacity = board.latency_capacity();
  const bool faulty = plan.fault_subscriber == index + 1;
  std::vector<std::byte> message(plan.payload_bytes);
  std::uint64_t expected = 1, received = 0, lost = 0, cpu_at_rate_begin = 0;
  bool in_rate_pass = false, rate_pass_done = false;
  me.ready.store(1, std::memory_order_release);
  for (;;) {
    if (!subscriber.receive(message)) {
      if (control.finished.load(std::memory_order_acquire) != 0) break;
      continue;
    }
    const std::uint64_t now = clock.now();
    const std::uint64_t sequence = sequence_of(message);
    if (sequence == 0) {
      if (expected != 1) throw ProtocolError(fmt::format("a join message after message {}", expected - 1));
      me.joined.store(1, std::memory_order_release);
      continue;
    }
    if (sequence < expected)
      throw ProtocolError(fmt::format("message {} after message {}: repeated or out of order", sequence, expected - 1));
    if (plan.verify) {
      const std::size_t bad = find_pattern_error(message, kFanoutHeaderBytes, sequence);
      if (bad != message.size()) throw ProtocolError(fmt::format("message {}: byte {} is not the one sent", sequence, bad));
    }
    lost += sequence - expected;
    expected = sequence + 1;
    ++received;
    const std::uint64_t latency_begin = control.latency_begin.load(std::memory_order_acquire);
    if (sequence >= latency_begin && sequence - latency_begin < capacity) arrivals[sequence - latency_begin] = now;
    if (!in_rate_pass && sequence >= control.rate_begin.load(std::memory_order_acquire)) {
      in_rate_pass = true;
      cpu_at_rate_begin = process_cpu_ns();
    }
    if (in_rate_pass && !rate_pass_done && sequence >= latency_begin) {
      rate_pass_done = true;
      me.rate_cpu_ns = process_cpu_ns() - cpu_at_rate_begin;
    }
    if (faulty && received == plan.fault_after) inject_fault(plan.fault_action);
    me.through.store(sequence, std::memory_order_release);
  }
  const std::uint64_t last = control.last.load(std::memory_order_acquire);
  if (expected <= last) lost += last - expected + 1;
  me.received = received;
  me.lost = lost;
}

}  // namespace ipcbench
