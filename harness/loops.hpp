// The ping (client) and pong (server) loops: templates over an Endpoint, so a message costs no virtual call.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>

#include "harness/buffer.hpp"
#include "harness/clock.hpp"
#include "harness/control_block.hpp"
#include "harness/fault_injection.hpp"
#include "harness/message.hpp"
#include "harness/settings.hpp"
#include "harness/sys/io.hpp"
#include "harness/transport.hpp"
#include "harness/usage.hpp"

namespace ipcbench {

[[noreturn]] void throw_bad_reply(std::uint64_t expected_sequence, std::uint64_t header, std::size_t payload_bytes);
[[noreturn]] void throw_corrupt_payload(std::string_view side, std::uint64_t sequence, std::size_t index);

// An endpoint that can tell how many datagrams it lost and resent (UDP).
template <class E>
concept CountsLosses = requires(const E& endpoint) {
  { endpoint.lost() } -> std::convertible_to<std::uint64_t>;
};

// One round trip at a time: stamp, send, receive, check.
template <Endpoint E, bool kVerify>
class Pinger {
 public:
  Pinger(E& endpoint, std::span<std::byte> message) noexcept
      : endpoint_(endpoint), message_(message), header_(message.size()) {}

  void round_trip() {
    const std::uint64_t sequence = next_sequence_++;
    header_.stamp(message_, sequence);
    if constexpr (kVerify) fill_pattern(message_, header_.width(), sequence & header_.mask());
    endpoint_.send(message_);
    endpoint_.receive(message_);
    if (!header_.is_reply_to(message_, sequence)) [[unlikely]]
      throw_bad_reply(sequence, header_.read(message_), message_.size());
    if constexpr (kVerify) {
      const std::size_t bad = find_pattern_error(message_, header_.width(), sequence & header_.mask());
      if (bad != message_.size()) [[unlikely]] throw_corrupt_payload("client", sequence, bad);
    }
  }

  void run(std::uint64_t round_trips) {
    for (std::uint64_t i = 0; i < round_trips; ++i) round_trip();
  }

  // The server stops when it receives this, if the stop flag was raised first.
  void send_stop(ControlBlock& control) {
    control.stop_requested.store(1, std::memory_order_release);
    header_.stamp_stop(message_);
    endpoint_.send(message_);
  }

  [[nodiscard]] std::uint64_t round_trips() const noexcept { return next_sequence_; }

 private:
  E& endpoint_;
  std::span<std::byte> message_;
  Header header_;
  std::uint64_t next_sequence_ = 0;
};

// Busy-waits a fixed time after each reply: the documented knob that proves the regression
// gate. Only ever instantiated for the transport it is asked for.
template <Endpoint E>
class Delayed {
 public:
  Delayed(E inner, const Clock& clock, std::uint64_t delay_ns) noexcept
      : inner_(std::move(inner)), clock_(&clock), delay_ticks_(static_cast<std::uint64_t>(static_cast<double>(delay_ns) / clock.ns_per_tick())) {}
  void send(std::span<const std::byte> message) { inner_.send(message); }
  void receive(std::span<std::byte> message) {
    inner_.receive(message);
    const std::uint64_t until = clock_->now() + delay_ticks_;
    while (clock_->now() < until) {
    }
  }
  [[nodiscard]] std::uint64_t lost() const noexcept {
    if constexpr (CountsLosses<E>) return inner_.lost();
    return 0;
  }

 private:
  E inner_;
  const Clock* clock_;
  std::uint64_t delay_ticks_;
};

// The client's whole repetition: warm-up, throughput pass, latency pass, stop. Results and
// progress go to the control block; the supervisor watches progress to spot a stalled peer.
// `fault` is looked at once per phase, never per message.
template <Endpoint E, bool kVerify>
void run_client(E& endpoint, const PassPlan& plan, const Clock& clock, ControlBlock& control,
                std::size_t payload_bytes, bool has_server, const FaultInjection& fault = {}) {
  const auto enter = [&](Phase phase) {
    control.phase.store(phase, std::memory_order_relaxed);
    inject_fault(fault, FaultInjection::Side::client, phase);
  };
  MessageBuffer buffer(payload_bytes);
  Pinger<E, kVerify> pinger(endpoint, buffer.bytes());
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
  run_pass([&](std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint64_t before = clock.now();
      pinger.round_trip();
      histogram.record(clock.to_ns(clock.now() - before));
    }
  });

  if (has_server) pinger.send_stop(control);
  control.client = start_usage.report_since();
  control.round_trips = round_trips;
  control.elapsed_ns = elapsed_ns;
  control.all_round_trips = pinger.round_trips();
  if constexpr (CountsLosses<E>) control.lost = endpoint.lost();
  control.phase.store(Phase::finished, std::memory_order_release);
}

// The server's whole repetition: echo every message, marked as a reply, until the stop.
// The server does not know the client's phases; only the instantiation for an armed fault
// (kInjectFaults) reads the client's phase, once per message, to fire it.
template <Endpoint E, bool kVerify, bool kInjectFaults = false>
void run_server(E& endpoint, ControlBlock& control, std::size_t payload_bytes, const FaultInjection& fault = {}) {
  MessageBuffer buffer(payload_bytes);
  const std::span<std::byte> message = buffer.bytes();
  const Header header(payload_bytes);
  const ThreadUsage start_usage = ThreadUsage::now();
  for (;;) {
    endpoint.receive(message);
    if constexpr (kInjectFaults) {
      // After the receive, the client is blocked inside the phase it published before sending.
      const Phase phase = control.phase.load(std::memory_order_acquire);
      if (phase >= fault.phase && phase != Phase::finished) inject_fault(fault, FaultInjection::Side::server, fault.phase);
    }
    if (header.may_be_stop(message)) [[unlikely]] {
      if (control.stop_requested.load(std::memory_order_acquire) != 0) break;
    }
    if constexpr (kVerify) {
      const std::uint64_t sequence = header.read(message);
      const std::size_t bad = find_pattern_error(message, header.width(), sequence);
      if (bad != message.size()) [[unlikely]] throw_corrupt_payload("server", sequence, bad);
    }
    header.mark_reply(message);
    endpoint.send(message);
  }
  control.server = start_usage.report_since();
}

}  // namespace ipcbench
