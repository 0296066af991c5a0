// Test-only fault injection: one side of a repetition kills, stops or quietly ends itself on entering a phase.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "harness/control_block.hpp"
#include "harness/sys/child.hpp"

namespace ipcbench {

// What the reliability tests (and the hidden --inject-fault option) use to prove that the
// supervisor turns every way a side can go wrong into a FAILED cell. Checked only where a
// side enters a phase; the server's per-message phase check exists only in the loop
// instantiated for an armed fault, so an unarmed run pays nothing.
struct FaultInjection {
  enum class Side : std::uint8_t { none, client, server };
  enum class Action : std::uint8_t { sigkill, sigstop, exit_early };

  std::string transport;  // empty: every transport
  Side side = Side::none;
  Action action = Action::sigkill;
  Phase phase = Phase::setup;

  [[nodiscard]] bool armed_for(std::string_view name) const noexcept {
    return side != Side::none && (transport.empty() || transport == name);
  }
};

std::string_view to_string(FaultInjection::Side side) noexcept;
std::string_view to_string(FaultInjection::Action action) noexcept;

// Ends, stops or exits the calling side's whole process (in thread mode both threads, as a
// real crash would) if `fault` is aimed at this side and phase.
inline void inject_fault(const FaultInjection& fault, FaultInjection::Side side, Phase phase) noexcept {
  if (fault.side != side || fault.phase != phase) return;
  switch (fault.action) {
    case FaultInjection::Action::sigkill: ::kill(::getpid(), SIGKILL); break;
    case FaultInjection::Action::sigstop: ::kill(::getpid(), SIGSTOP); break;
    case FaultInjection::Action::exit_early: sys::Child::exit_now(0);
  }
}

}  // namespace ipcbench
