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

std::string describe_others(const std::vector<Worker>& workers, const Worker& except) {
  std::string text;
  for (const Worker& w : workers) {
    if (&w == &except) continue;
    text += fmt::format("; {} (pid {}) was {}", w.role, w.child.pid(), w.child.state());
  }
  return text;
}

void wait_for_event(const std::vector<Worker>& workers) {
  std::vector<pollfd> fds;
  for (const Worker& w : workers)
    if (!w.child.status() && w.child.pidfd() >= 0) fds.push_back({w.child.pidfd(), POLLIN, 0});
  // Without pidfds (old kernels) this degrades to polling waitpid every interval.
  ::poll(fds.data(), fds.size(), kCheckIntervalMs);
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
                             std::chrono::milliseconds peer_timeout) {
  const std::uint64_t timeout_ns = static_cast<std::uint64_t>(std::chrono::nanoseconds(peer_timeout).count());
  Phase last_phase = control.phase.load();
  std::uint64_t last_progress = control.progress.load();
  std::uint64_t last_change_ns = monotonic_raw_ns();

  for (;;) {
    // Reap everyone before judging: a side killed by a signal is the cause, and its peer's
    // complaint about the closed connection only the consequence.
    bool all_ended = true;
    const Worker* killed = nullptr;
    const Worker* exited_badly = nullptr;
    for (Worker& w : workers) {
      const auto status = w.child.try_reap();
      if (!status) {
        all_ended = false;
      } else if (status->signaled()) {
        if (!killed) killed = &w;
      } else if (!status->clean() && !exited_badly) {
        exited_badly = &w;
      }
    }
    if (killed || exited_badly) {
      const Worker& cause = killed ? *killed : *exited_badly;
      const std::string_view reported = control.failure_reason();
      std::string reason = fmt::format("{} (pid {}) {} during {}", cause.role, cause.child.pid(),
                                       cause.child.status()->describe(), to_string(control.phase.load()));
      if (!killed && !reported.empty()) reason = std::string(reported);
      else if (!reported.empty()) reason += fmt::format("; then {}", reported);
      else reason += describe_others(workers, cause);
      kill_all(workers);
      return {false, false, reason};
    }
    if (all_ended) return {true, false, {}};

    if (const int signal = interrupt_signal(); signal != 0) {
      kill_all(workers);
      return {false, true, fmt::format("interrupted by {}", signal == SIGINT ? "SIGINT" : "SIGTERM")};
    }

    const Phase phase = control.phase.load();
    const std::uint64_t progress = control.progress.load();
    const std::uint64_t now_ns = monotonic_raw_ns();
    if (phase != last_phase || progress != last_progress) {
      last_phase = phase;
      last_progress = progress;
      last_change_ns = now_ns;
    } else if (now_ns - last_change_ns > timeout_ns) {
      std::string states;
      for (const Worker& w : workers)
        states += fmt::format("{}{} (pid {}) {}", states.empty() ? "" : ", ", w.role, w.child.pid(), w.child.state());
      const std::string reason = phase == Phase::finished
                                     ? fmt::format("the server did not stop within {} ms of the client's stop message ({})",
                                                   peer_timeout.count(), states)
                                     : fmt::format("no progress for {} ms during {}: {}", peer_timeout.count(),
                                                   to_string(phase), states);
      kill_all(workers);
      return {false, false, reason};
    }
    wait_for_event(workers);
  }
}

}  // namespace ipcbench
