// The ping (client) and pong (server) loops: templates over an Endpoint, a MessageFormat and the side's hooks, so a message costs no virtual call.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <type_traits>

#include "harness/buffer.hpp"
#include "harness/clock.hpp"
#include "harness/control_block.hpp"
#include "harness/hooks.hpp"
#include "harness/message.hpp"
#include "harness/settings.hpp"
#include "harness/transport.hpp"
#include "harness/usage.hpp"

namespace ipcbench {

[[noreturn]] void throw_corrupt_payload(std::string_view side, std::uint64_t sequence, std::size_t index);
[[noreturn]] void throw_no_reply(int sends, std::chrono::milliseconds apart);

// A lossy endpoint's request is sent this many times at most, kReplyTimeout apart, before
// the peer is taken as gone; and in one round trip at most this many datagrams that are not
// its reply (replies to earlier copies of a resent request) are dropped before the peer is
// taken as broken.
inline constexpr int kMaxSends = 10;
// The stop has no reply to wait for, so over a lossy endpoint it is sent this many times.
inline constexpr int kStopCopies = 3;

// What a pass does around each round trip, as a policy of Pinger::run: nothing (the
// throughput pass), or take one timestamp (the latency pass, TimestampEach).
struct Untimed {
  [[nodiscard]] std::uint64_t send_ns() const noexcept { return 0; }
  void while_waiting() noexcept {}
  void after_reply() noexcept {}
  void finish() noexcept {}
};

// One timestamp per round trip: the end of one is the start of the next, so a sample holds
// the round trip and one clock read, not two. A sample is recorded while the next request is
// on its way, not between a reply and the next request.
class TimestampEach {
 public:
  TimestampEach(const Clock& clock, LatencyHistogram& histogram) noexcept
      : clock_(&clock), histogram_(&histogram), before_(clock.now()) {}
  [[nodiscard]] std::uint64_t send_ns() const noexcept { return clock_->to_ns(before_); }
  void while_waiting() noexcept {
    if (pending_) histogram_->record(clock_->to_ns(unrecorded_ticks_));
    pending_ = false;
  }
  void after_reply() noexcept {
    const std::uint64_t after = clock_->now();
    unrecorded_ticks_ = after - before_;
    before_ = after;
    pending_ = true;
  }
  void finish() noexcept { while_waiting(); }

 private:
  const Clock* clock_;
  LatencyHistogram* histogram_;
  std::uint64_t before_;
  std::uint64_t unrecorded_ticks_ = 0;
  bool pending_ = false;
};

// One round trip at a time: stamp, send, receive, check. Over a lossy endpoint a request
// without a reply in time is sent again (and counted in lost()); a reply to an earlier copy
// that turns up late is dropped.
template <Endpoint E, MessageFormat F, bool kVerify>
class Pinger {
  static_assert(std::is_trivially_copyable_v<F>, "run() copies the format inside the timed pass");

 public:
  Pinger(E& endpoint, const F& format, std::span<std::byte> message) noexcept
      : endpoint_(endpoint), format_(format), message_(message) {}

  void round_trip() {
    Untimed untimed;
    exchange(next_sequence_++, untimed);
  }

  // Both passes' loop. It runs on a copy of this object, whose address is known elsewhere:
  // after an endpoint's compiler barrier the members would be stored and reloaded every round
  // trip, the sequence chaining each round trip to the next through memory. Not inlined, so
  // that the loop is laid out on its own (docs/methodology.md, AMD EPYC family 26).
  template <class Timing = Untimed>
  [[gnu::noinline]] void run(std::uint64_t round_trips, Timing timing = {}) {
    Pinger batch = *this;
    for (std::uint64_t i = 0; i < round_trips; ++i) batch.exchange(batch.next_sequence_++, timing);
    timing.finish();
    next_sequence_ = batch.next_sequence_;
    lost_ = batch.lost_;
  }

  void send_stop() {
    format_.stamp_stop(message_, next_sequence_);
    endpoint_.send(message_);
    if constexpr (LossyEndpoint<E>) send_stop_copies();
  }

  [[nodiscard]] std::uint64_t round_trips() const noexcept { return next_sequence_; }
  [[nodiscard]] std::uint64_t lost() const noexcept { return lost_; }

 private:
  template <class Timing>
  void exchange(std::uint64_t sequence, Timing& timing) {
    const std::uint64_t send_ns = timing.send_ns();
    stamp(sequence, send_ns);
    endpoint_.send(message_);
    timing.while_waiting();
    if constexpr (LossyEndpoint<E>) {
      await_reply_resending(sequence, send_ns);
    } else {
      endpoint_.receive(message_);
      if (!format_.is_reply_to(message_, sequence)) [[unlikely]] reject(format_, message_, sequence);
    }
    timing.after_reply();
    if constexpr (kVerify) {
      const std::size_t bad = find_pattern_error(message_, format_.pattern_offset(), format_.pattern_key(sequence));
      if (bad != message_.size()) [[unlikely]] throw_corrupt_payload("client", sequence, bad);
    }
  }

  void stamp(std::uint64_t sequence, std::uint64_t send_ns) noexcept {
    format_.stamp_request(message_, sequence, send_ns);
    if constexpr (kVerify) fill_pattern(message_, format_.pattern_offset(), format_.pattern_key(sequence));
  }

  // The format is passed by value: its address, given to a call the compiler does not
  // inline, would keep the whole Pinger in memory, reloaded after every barrier of a round trip.
  [[noreturn, gnu::cold]] static void reject(F format, std::span<const std::byte> message, std::uint64_t sequence) {
    format.throw_bad_reply(message, sequence);
  }

  void await_reply_resending(std::uint64_t sequence, std::uint64_t send_ns) {
    int sends = 1;
    int dropped = 0;
    for (;;) {
      if (endpoint_.try_receive(message_)) {
        if (format_.is_reply_to(message_, sequence)) [[likely]] return;
        if (++dropped > kMaxSends) reject(format_, message_, sequence);
        continue;
      }
      if (sends == kMaxSends) throw_no_reply(sends, E::kReplyTimeout);
      ++sends;
      ++lost_;
      stamp(sequence, send_ns);  // a stale reply may have landed on the request
      endpoint_.send(message_);
    }
  }

  // The copies go out at once: the first that arrives ends the server's loop, and a server
  // gone by then is no failure of this round trip.
  [[gnu::cold]] void send_stop_copies() noexcept {
    for (int i = 1; i < kStopCopies; ++i) {
      try {
        endpoint_.send(message_);
      } catch (...) {
        return;
      }
    }
  }

  E& endpoint_;
  F format_;
  std::span<std::byte> message_;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t lost_ = 0;
};

// The server's loop: answer every request, marked as the reply, until the stop. Returns the
// number of requests answered.
template <ReliableEndpoint E, MessageFormat F, bool kVerify, SideHooks Hooks>
std::uint64_t answer_until_stop(E& endpoint, const F& format, std::span<std::byte> message, Hooks& hooks) {
  std::uint64_t answered = 0;
  for (;;) {
    endpoint.receive(message);
    hooks.on_request();
    if (format.is_stop(message)) [[unlikely]] return answered;
    if constexpr (kVerify) {
      const std::uint64_t key = format.pattern_key(format.sequence_of(message));
      const std::size_t bad = find_pattern_error(message, format.pattern_offset(), key);
      if (bad != message.size()) [[unlikely]] throw_corrupt_payload("server", format.sequence_of(message), bad);
    }
    format.mark_reply(message);
    endpoint.send(message);
    ++answered;
  }
}

// What the latency pass adds to each round trip it times, at most: a clock read, its
// conversion and the histogram record (which, across two CPUs, overlaps the wait for the
// reply). Measured with the same code and nothing between the reads, on the client's CPU
// just before the pass (the median of a few batches); the histogram is cleared after.
inline double latency_timer_ns(const Clock& clock, LatencyHistogram& histogram) {
  constexpr int kReads = 2000;
  std::array<double, 5> per_read{};
  for (double& cost : per_read) {
    std::uint64_t before = clock.now();
    const std::uint64_t start = before;
    for (int i = 0; i < kReads; ++i) {
      const std::uint64_t after = clock.now();
      histogram.record(clock.to_ns(after - before));
      before = after;
    }
    cost = static_cast<double>(before - start) * clock.ns_per_tick() / kReads;
  }
  histogram.reset();
  std::sort(per_read.begin(), per_read.end());
  return per_read[per_read.size() / 2];
}

// The client's whole repetition: warm-up, throughput pass, latency pass, stop. Results and
// progress go to the control block; the supervisor watches progress to spot a stalled peer.
template <Endpoint E, MessageFormat F, bool kVerify, SideHooks Hooks>
void run_client(E& endpoint, const F& format, const PassPlan& plan, const Clock& clock, ControlBlock& control,
                bool has_server, Hooks& hooks) {
  const auto enter = [&](Phase phase) {
    control.phase.store(phase, std::memory_order_relaxed);
    hooks.at_phase(phase);
  };
  MessageBuffer buffer(format.message_bytes());
  Pinger<E, F, kVerify> pinger(endpoint, format, buffer.bytes());
  const ThreadUsage start_usage = ThreadUsage::now();
  const auto ticks = [&](std::chrono::nanoseconds d) {
    return static_cast<std::uint64_t>(static_cast<double>(d.count()) / clock.ns_per_tick());
  };
  const std::uint64_t pass_ticks = ticks(plan.duration);

  // Warm-up: not recorded; it also sizes the batches after which progress is published and
  // the clock is read, at about one millisecond each.
  enter(Phase::warmup);
  const std::uint64_t warmup_start = clock.now();
  std::uint64_t warmup_done = 0;
  while (warmup_done < plan.warmup_round_trips) {
    pinger.round_trip();
    ++warmup_done;
    if (clock.now() - warmup_start >= pass_ticks / 10) break;
  }
  control.progress.store(warmup_done, std::memory_order_relaxed);
  const double warmup_ns = std::max(1.0, static_cast<double>(clock.to_ns(clock.now() - warmup_start)));
  const std::uint64_t batch = std::clamp<std::uint64_t>(
      static_cast<std::uint64_t>(static_cast<double>(std::max<std::uint64_t>(warmup_done, 1)) * 1e6 / warmup_ns), 1,
      std::uint64_t{1} << 20);

  const auto run_pass = [&](auto&& one_batch) {
    std::uint64_t done = 0;
    const std::uint64_t start = clock.now();
    std::uint64_t now = start;
    for (;;) {
      const std::uint64_t n = plan.round_trips ? std::min(batch, *plan.round_trips - done) : batch;
      one_batch(n);
      done += n;
      now = clock.now();
      control.progress.fetch_add(n, std::memory_order_relaxed);
      if (plan.round_trips ? done >= *plan.round_trips : now - start >= pass_ticks) break;
    }
    return std::pair{done, clock.to_ns(now - start)};
  };

  enter(Phase::throughput);
  const auto [round_trips, elapsed_ns] = run_pass([&](std::uint64_t n) { pinger.run(n); });

  enter(Phase::latency);
  LatencyHistogram& histogram = control.latency;
  control.latency_timer_ns = latency_timer_ns(clock, histogram);
  control.latency_timer_step_ns = clock.measure_step_ns();
  run_pass([&](std::uint64_t n) { pinger.run(n, TimestampEach(clock, histogram)); });

  if (has_server) pinger.send_stop();
  control.client = start_usage.report_since();
  control.round_trips = round_trips;
  control.elapsed_ns = elapsed_ns;
  control.all_round_trips = pinger.round_trips();
  control.lost = pinger.lost();
  control.phase.store(Phase::finished, std::memory_order_release);
}

// The server's whole repetition: its usage around the loop, and the mark that it ended by
// the stop.
template <ReliableEndpoint E, MessageFormat F, bool kVerify, SideHooks Hooks>
void run_server(E& endpoint, const F& format, ControlBlock& control, Hooks& hooks) {
  MessageBuffer buffer(format.message_bytes());
  const ThreadUsage start_usage = ThreadUsage::now();
  const std::uint64_t answered = answer_until_stop<E, F, kVerify>(endpoint, format, buffer.bytes(), hooks);
  control.server = start_usage.report_since();
  control.server_messages = answered;
  control.server_done.store(1, std::memory_order_release);
}

}  // namespace ipcbench
