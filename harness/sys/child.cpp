// Fork, reap and kill of child processes.
#include "harness/sys/child.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <fstream>

namespace ipcbench::sys {

bool ExitStatus::clean() const noexcept { return WIFEXITED(raw) && WEXITSTATUS(raw) == 0; }
bool ExitStatus::signaled() const noexcept { return WIFSIGNALED(raw); }

std::string ExitStatus::describe() const {
  if (WIFEXITED(raw)) return fmt::format("exited with status {}", WEXITSTATUS(raw));
  if (WIFSIGNALED(raw)) {
    const char* name = sigabbrev_np(WTERMSIG(raw));
    return name ? fmt::format("killed by SIG{}", name) : fmt::format("killed by signal {}", WTERMSIG(raw));
  }
  return fmt::format("ended with wait status {:#x}", raw);
}

pid_t Child::start_fork() {
  const pid_t parent = ::getpid();
  std::fflush(nullptr);  // or buffered output would be written twice
  const pid_t pid = ::fork();
  if (pid < 0) throw fmt::system_error(errno, "fork");
  if (pid == 0) {
    // The supervisor's signal handlers are not the child's business, and a child must not
    // outlive a supervisor that was SIGKILLed. A write to a pipe whose reader died must be
    // EPIPE (the side reports its peer gone), not a SIGPIPE death that would be blamed as
    // the cause, whatever the embedding program did with SIGPIPE.
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_IGN);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
  }
  return pid;
}

Child::Child(pid_t pid) : pid_(pid) {
  if (pid_ > 0) pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
}

void Child::exit_now(int code) noexcept {
  std::fflush(nullptr);
  ::_exit(code);
}

Child::~Child() { kill_and_reap(); }

std::optional<ExitStatus> Child::try_reap() {
  if (status_ || pid_ <= 0) return status_;
  int raw = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &raw, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) status_ = ExitStatus{raw};
  return status_;
}

std::string Child::state() const {
  if (status_) return status_->describe();
  std::ifstream stat(fmt::format("/proc/{}/stat", pid_));
  std::string line;
  if (!std::getline(stat, line)) return "unknown";
  // The state letter follows the command name, which is in parentheses and may hold spaces.
  const auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return "unknown";
  switch (line[close + 2]) {
    case 'R': return "running";
    case 'S': return "sleeping";
    case 'D': return "in uninterruptible wait";
    case 'T': return "stopped (SIGSTOP)";
    case 't': return "stopped by a tracer";
    case 'Z': return "a zombie";
    default: return "unknown";
  }
}

void Child::kill(int signal) noexcept {
  if (pid_ > 0 && !status_) ::kill(pid_, signal);
}

void Child::kill_and_reap() noexcept {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    int raw = 0;
    while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
    }
    status_ = ExitStatus{raw};
  }
  if (pidfd_ >= 0) ::close(std::exchange(pidfd_, -1));
}

void name_current_thread(const char* name) noexcept { ::prctl(PR_SET_NAME, name); }

}  // namespace ipcbench::sys
