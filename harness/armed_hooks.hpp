// ArmedHooks: the hooks of ipcbench_armed and the reliability tests: a fault fired on entering a phase, a delay after every reply.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "harness/clock.hpp"
#include "harness/fault_injection.hpp"
#include "harness/hooks.hpp"
#include "harness/transport.hpp"

namespace ipcbench {

// A deliberate, documented slowdown for proving the regression gate: the client of one
// transport busy-waits this long after every reply.
struct InjectedDelay {
  std::string transport;
  std::uint64_t ns = 0;
};

template <class E>
struct ReplyTimeoutOf {};
template <LossyEndpoint E>
struct ReplyTimeoutOf<E> {
  static constexpr auto kReplyTimeout = E::kReplyTimeout;
};

// Busy-waits a fixed time after each reply it passes on.
template <Endpoint E>
class Delayed : public ReplyTimeoutOf<E> {
 public:
  Delayed(E& inner, const Clock& clock, std::uint64_t delay_ns) noexcept
      : inner_(&inner), clock_(&clock), delay_ticks_(static_cast<std::uint64_t>(static_cast<double>(delay_ns) / clock.ns_per_tick())) {}
  void send(std::span<const std::byte> message) { inner_->send(message); }
  void receive(std::span<std::byte> message)
    requires ReliableEndpoint<E>
  {
    inner_->receive(message);
    pause();
  }
  bool try_receive(std::span<std::byte> message)
    requires LossyEndpoint<E>
  {
    const bool received = inner_->try_receive(message);
    if (received) pause();
    return received;
  }

 private:
  void pause() const noexcept {
    const std::uint64_t until = clock_->now() + delay_ticks_;
    while (clock_->now() < until) {
    }
  }
  E* inner_;
  const Clock* clock_;
  std::uint64_t delay_ticks_;
};

class ArmedHooks {
 public:
  static constexpr bool kDelaysReplies = true;
  // What ipcbench_armed's options or a test ask for, set before the first repetition.
  static inline FaultInjection fault;
  static inline InjectedDelay delay;

  ArmedHooks(std::string_view transport, Role role, ControlBlock& control) noexcept
      : control_(&control),
        role_(role),
        fault_armed_(fault.armed_for(transport) &&
                     fault.side == (role == Role::client ? FaultInjection::Side::client : FaultInjection::Side::server)),
        delay_ns_(role == Role::client && delay.transport == transport ? delay.ns : 0) {}

  void at_phase(Phase phase) noexcept {
    if (fault_armed_ && phase == fault.phase) inject_fault(fault.action);
  }
  // After the receive, the client is blocked inside the phase it published before sending.
  void on_request() noexcept {
    if (!fault_armed_ || role_ != Role::server) return;
    const Phase phase = control_->phase.load(std::memory_order_acquire);
    if (phase >= fault.phase && phase != Phase::finished) inject_fault(fault.action);
  }

  template <Endpoint E, class Run>
  void with_endpoint(E& endpoint, const Clock& clock, Run&& run) {
    if (delay_ns_ == 0) return run(endpoint);
    Delayed<E> delayed(endpoint, clock, delay_ns_);
    run(delayed);
  }

 private:
  ControlBlock* control_;
  Role role_;
  bool fault_armed_;
  std::uint64_t delay_ns_;
};

static_assert(SideHooks<ArmedHooks>);

}  // namespace ipcbench
