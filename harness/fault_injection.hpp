// FaultInjection: what a reliability test asks one side of a repetition to do to itself on entering a phase.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "harness/control_block.hpp"
#include "harness/sys/child.hpp"

namespace ipcbench {

// The proof that the supervisor turns every way a side can go wrong into a FAILED cell.
// Only ArmedHooks (armed_hooks.hpp) reads it: ipcbench_armed and the tests.
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
// real crash would).
inline void inject_fault(FaultInjection::Action action) noexcept {
  switch (action) {
    case FaultInjection::Action::sigkill: ::kill(::getpid(), SIGKILL); break;
    case FaultInjection::Action::sigstop: ::kill(::getpid(), SIGSTOP); break;
    case FaultInjection::Action::exit_early: sys::Child::exit_now(0);
  }
}

}  // namespace ipcbench
