// The supervisor: watches the processes of one repetition, and turns a dead, stalled or failing side into a reason.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "harness/control_block.hpp"
#include "harness/sys/child.hpp"

namespace ipcbench {

struct Worker {
  std::string role;  // "client", "server", or "worker" (both threads of thread mode)
  sys::Child child;
};

struct SupervisionOutcome {
  bool ok = false;
  bool interrupted = false;
  std::string reason;  // empty when ok
};

// Waits for every worker to end. A worker that dies or fails, or a repetition whose progress
// stops for peer_timeout, ends the repetition: every worker is killed and reaped, and the
// reason names who did what in which phase. Returns early, with every worker reaped, when
// SIGINT or SIGTERM arrives (see interrupt_signal()). while_waiting, if given, runs at every
// wake-up (at least every 100 ms): serve refuses the clients that queue up meanwhile.
SupervisionOutcome supervise(std::vector<Worker>& workers, const ControlBlock& control,
                             std::chrono::milliseconds peer_timeout, const std::function<void()>& while_waiting = {});

// SIGINT/SIGTERM handling for the whole run: the handlers only record the signal; the
// supervisor and the suite check it between repetitions and while waiting.
void install_interrupt_handlers();
int interrupt_signal() noexcept;  // 0 when none arrived

}  // namespace ipcbench
