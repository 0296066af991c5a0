// Waiting on workers with pidfds: the supervisor wakes only when a worker ends or a check is due.
#include "harness/supervisor.hpp"

#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <csignal>
#include <fmt/format.h>

#include "harness/clock.hpp"

namespace ipcbench {
namespace {

volatile std::sig_atomic_t g_interrupt_signal = 0;

extern "C" void record_interrupt(int signal) { g_interrupt_signal = signal; }

// Rare enough not to disturb a pinned measurement, often enough to react well within 2 s.
constexpr int kCheckIntervalMs = 100;
// How long the peer of a side that died gets to end on its own before the verdict.
constexpr int kSettleMs = 50;

std::string describe_others(const std::vector<Worker>& workers, const Worker& except) {
  std::string text;
  for (const Worker& w : workers) {
    if (&w == &except) continue;
    text += fmt::format("; {} (pid {}) was {}", w.role, w.child.pid(), w.child.state());
  }
  return text;
}

void wait_for_event(const std::vector<Worker>& workers, int timeout_ms) {
  std::vector<pollfd> fds;
  for (const Worker& w : workers)
    if (!w.child.status() && w.child.pidfd() >= 0) fds.push_back({w.child.pidfd(), POLLIN, 0});
  // Without pidfds (macOS, FreeBSD, kernels before 5.3) this degrades to polling waitpid every interval.
  ::poll(fds.data(), fds.size(), timeout_ms);
}

// A side that ends with status 0 before its work is done is as wrong as one that crashes: a
// server is done only once the stop ended its loop; a client, or the one worker of thread
// mode, once the client reached `finished`.
bool ended_early(const Worker& w, const ControlBlock& control) {
  if (w.role == "server") return control.server_done.load(std::memory_order_acquire) == 0;
  return control.phase.load(std::memory_order_acquire) != Phase::finished;
}

enum class CauseKind { killed, ended_early, failed };

struct Verdict {
  bool all_ended = true;
  const Worker* cause = nullptr;
  CauseKind kind = CauseKind::failed;
};

// Reaps whoever has ended and picks the cause, if any: a signal first, then an early clean
// exit (whose peer then fails because it is gone), then a side that reported a failure.
Verdict reap(std::vector<Worker>& workers, const ControlBlock& control) {
  Verdict v;
  const Worker* early = nullptr;
  const Worker* failed = nullptr;
  for (Worker& w : workers) {
    const auto status = w.child.try_reap();
    if (!status) {
      v.all_ended = false;
    } else if (status->signaled()) {
      if (!v.cause) v.cause = &w;
    } else if (status->clean()) {
      if (!early && ended_early(w, control)) early = &w;
    } else if (!failed) {
      failed = &w;
    }
  }
  if (v.cause) v.kind = CauseKind::killed;
  else if (early) v = {v.all_ended, early, CauseKind::ended_early};
  else if (failed) v = {v.all_ended, failed, CauseKind::failed};
  return v;
}

std::string blame(const std::vector<Worker>& workers, const Worker& cause, CauseKind kind, const ControlBlock& control) {
  const std::string_view reported = control.failure_reason();
  const std::string_view phase = to_string(control.phase.load());
  if (kind == CauseKind::failed && !reported.empty()) return std::string(reported);
  std::string reason =
      kind == CauseKind::ended_early
          ? fmt::format("{} (pid {}) exited early with status 0 during {}", cause.role, cause.child.pid(), phase)
          : fmt::format("{} (pid {}) {} during {}", cause.role, cause.child.pid(), cause.child.status()->describe(), phase);
  if (!reported.empty()) reason += fmt::format("; then {}", reported);
  else reason += describe_others(workers, cause);
  return reason;
}

// No progress for the whole timeout: a stopped side is named as the cause, else every
// side's state is listed.
std::string stall_reason(const std::vector<Worker>& workers, Phase phase, std::chrono::milliseconds timeout) {
  for (const Worker& w : workers) {
    const std::string state = w.child.state();
    if (state.starts_with("stopped"))
      return fmt::format("{} (pid {}) {} during {}: no progress for {} ms{}", w.role, w.child.pid(), state,
                         to_string(phase), timeout.count(), describe_others(workers, w));
  }
  std::string states;
  for (const Worker& w : workers)
    states += fmt::format("{}{} (pid {}) {}", states.empty() ? "" : ", ", w.role, w.child.pid(), w.child.state());
  return phase == Phase::finished
             ? fmt::format("the server did not stop within {} ms of the client's stop message ({})", timeout.count(), states)
             : fmt::format("no progress for {} ms during {}: {}", timeout.count(), to_string(phase), states);
}

void kill_all(std::vector<Worker>& workers) {
  for (Worker& w : workers) w.child.kill_and_reap();
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action{};
  action.sa_handler = record_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR and the supervisor looks at once
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

int interrupt_signal() noexcept { return g_interrupt_signal; }

SupervisionOutcome supervise(std::vector<Worker>& workers, const ControlBlock& control,
                             std::chrono::milliseconds peer_timeout, const std::function<void()>& while_waiting) {
  const std::uint64_t timeout_ns = static_cast<std::uint64_t>(std::chrono::nanoseconds(peer_timeout).count());
  Phase last_phase = control.phase.load();
  std::uint64_t last_progress = control.progress.load();
  std::uint64_t last_change_ns = monotonic_raw_ns();
  bool settled = false;

  for (;;) {
    // A Ctrl-C reaches the workers too; they die of it, but the run was interrupted, and no
    // cell failed.
    if (const int signal = interrupt_signal(); signal != 0) {
      kill_all(workers);
      return {false, true, fmt::format("interrupted by {}", signal == SIGINT ? "SIGINT" : "SIGTERM")};
    }

    const Verdict verdict = reap(workers, control);
    if (verdict.cause && !verdict.all_ended && !settled) {
      // Reap everyone before judging: a side killed by a signal is the cause, and its peer's
      // complaint about the closed connection only the consequence, but the peer may be
      // reaped first. The peer of a dead side ends within moments, if it ends at all.
      settled = true;
      wait_for_event(workers, kSettleMs);
      continue;
    }
    if (verdict.cause) {
      std::string reason = blame(workers, *verdict.cause, verdict.kind, control);
      kill_all(workers);
      return {false, false, std::move(reason)};
    }
    if (verdict.all_ended) return {true, false, {}};

    const Phase phase = control.phase.load();
    const std::uint64_t progress = control.progress.load();
    const std::uint64_t now_ns = monotonic_raw_ns();
    if (phase != last_phase || progress != last_progress) {
      last_phase = phase;
      last_progress = progress;
      last_change_ns = now_ns;
    } else if (now_ns - last_change_ns > timeout_ns) {
      std::string reason = stall_reason(workers, phase, peer_timeout);
      kill_all(workers);
      return {false, false, std::move(reason)};
    }
    wait_for_event(workers, kCheckIntervalMs);
    if (while_waiting) while_waiting();
  }
}

}  // namespace ipcbench
