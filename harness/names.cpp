// The words the CLI, the CSV and the reasons use for the harness's enums.
#include "harness/control_block.hpp"
#include "harness/fault_injection.hpp"
#include "harness/hooks.hpp"
#include "harness/results.hpp"
#include "harness/transport.hpp"

namespace ipcbench {

std::string_view to_string(Mode mode) noexcept {
  switch (mode) {
    case Mode::thread: return "thread";
    case Mode::process: return "process";
    case Mode::host: return "host";
  }
  return "?";
}

std::string_view to_string(Placement placement) noexcept {
  switch (placement) {
    case Placement::cross: return "cross";
    case Placement::same: return "same";
    case Placement::none: return "none";
  }
  return "?";
}

std::string_view to_string(WaitKind wait) noexcept {
  switch (wait) {
    case WaitKind::spin: return "spin";
    case WaitKind::yield: return "yield";
    case WaitKind::spin_yield: return "spin-yield";
    case WaitKind::block: return "block";
    case WaitKind::none: return "none";
    case WaitKind::busy_poll: return "busy-poll";
  }
  return "?";
}

std::string_view to_string(WaitPolicy policy) noexcept {
  return policy == WaitPolicy::busy_poll ? "busy-poll" : "own";
}

std::string_view to_string(Phase phase) noexcept {
  switch (phase) {
    case Phase::setup: return "setup";
    case Phase::warmup: return "warm-up";
    case Phase::throughput: return "the throughput pass";
    case Phase::latency: return "the latency pass";
    case Phase::finished: return "shutdown";
    case Phase::serving: return "the data phase";
  }
  return "?";
}

std::string_view to_string(Role role) noexcept { return role == Role::client ? "client" : "server"; }

std::string_view to_string(Status status) noexcept {
  switch (status) {
    case Status::ok: return "ok";
    case Status::failed: return "failed";
    case Status::skipped: return "skipped";
  }
  return "?";
}

std::string_view to_string(FaultInjection::Side side) noexcept {
  switch (side) {
    case FaultInjection::Side::none: return "none";
    case FaultInjection::Side::client: return "client";
    case FaultInjection::Side::server: return "server";
  }
  return "?";
}

std::string_view to_string(FaultInjection::Action action) noexcept {
  switch (action) {
    case FaultInjection::Action::sigkill: return "kill";
    case FaultInjection::Action::sigstop: return "stop";
    case FaultInjection::Action::exit_early: return "exit";
  }
  return "?";
}

}  // namespace ipcbench
