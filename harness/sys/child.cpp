// Fork, reap and kill of child processes.
#include "harness/sys/child.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <fstream>

#include "harness/sys/fd.hpp"
#include "harness/sys/platform.hpp"

#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif
#if defined(__FreeBSD__)
#include <pthread_np.h>
#include <sys/procctl.h>
#endif

namespace ipcbench::sys {
namespace {

// "KILL" for SIGKILL: glibc names signals with sigabbrev_np, the BSDs and macOS with sys_signame
// (in lower case).
std::string signal_name(int signal) {
#if defined(__GLIBC__)
  const char* name = sigabbrev_np(signal);
  return name ? name : "";
#else
  if (signal <= 0 || signal >= NSIG) return "";
  std::string name = sys_signame[signal];
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
#endif
}

#if IPCBENCH_SYS_LIFE_LINE
// Dying with the parent without PR_SET_PDEATHSIG (macOS; Linux with IPCBENCH_PORTABLE_FALLBACKS):
// a life line per child, a pipe whose write end only the parent holds (in the Child). The
// child closes every write end it inherited, its own and its siblings', and starts a thread
// that blocks in read() of the read end. However the parent ends (SIGKILL included), or when
// the Child is destroyed, the kernel closes that write end, the read returns and the thread
// SIGKILLs its own process. What it guarantees: a child outlives its parent by no more than a
// thread's wake-up, and a parent already gone when the thread starts is seen at once, so there
// is no window as there is between fork() and prctl(). What it does not: a write end another
// process got by a fork() that is not Child::fork (none in ipcbench; exec drops it, as both
// ends are close-on-exec), or one beyond the kTrackedLines a child can close, keeps that line
// open while that process lives.
constexpr std::size_t kTrackedLines = 64;
std::array<std::atomic<int>, kTrackedLines> g_write_ends{};  // fd + 1 of each live write end; 0: free
int g_watched_read_end = -1;                                // in a child: the read end of its own line

void track(int write_end) noexcept {
  for (std::atomic<int>& slot : g_write_ends) {
    int expected = 0;
    if (slot.compare_exchange_strong(expected, write_end + 1)) return;
  }
}

void untrack(int write_end) noexcept {
  for (std::atomic<int>& slot : g_write_ends) {
    int expected = write_end + 1;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

void* watch_life_line(void* read_end) {
  const int fd = static_cast<int>(reinterpret_cast<std::intptr_t>(read_end));
  char byte;
  while (::read(fd, &byte, 1) < 0 && errno == EINTR) {
  }
  ::kill(::getpid(), SIGKILL);
  return nullptr;
}

// In the child, right after fork(): only this thread exists.
void die_with_parent(int read_end) {
  for (std::atomic<int>& slot : g_write_ends)
    if (const int fd = slot.exchange(0) - 1; fd >= 0) ::close(fd);
  if (g_watched_read_end >= 0) ::close(g_watched_read_end);  // the parent's own line, from the grandparent
  g_watched_read_end = read_end;
  // The watcher takes no signal: they keep going to the threads they went to before.
  sigset_t all, before;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &before);
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attributes, 64 * 1024);
  pthread_t watcher;
  const int error =
      pthread_create(&watcher, &attributes, watch_life_line, reinterpret_cast<void*>(static_cast<std::intptr_t>(read_end)));
  pthread_attr_destroy(&attributes);
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  if (error != 0) ::_exit(1);  // a child that cannot watch its parent must not run unwatched
}
#endif

}  // namespace

bool ExitStatus::clean() const noexcept { return WIFEXITED(raw) && WEXITSTATUS(raw) == 0; }
bool ExitStatus::signaled() const noexcept { return WIFSIGNALED(raw); }

std::string ExitStatus::describe() const {
  if (WIFEXITED(raw)) return fmt::format("exited with status {}", WEXITSTATUS(raw));
  if (WIFSIGNALED(raw)) {
    const std::string name = signal_name(WTERMSIG(raw));
    return !name.empty() ? fmt::format("killed by SIG{}", name) : fmt::format("killed by signal {}", WTERMSIG(raw));
  }
  return fmt::format("ended with wait status {:#x}", raw);
}

Child::Forked Child::start_fork() {
  const pid_t parent = ::getpid();
#if IPCBENCH_SYS_LIFE_LINE
  FdPair line = make_pipe();
  track(line.second.get());
#endif
  std::fflush(nullptr);  // or buffered output would be written twice
  const pid_t pid = ::fork();
  if (pid < 0) {
#if IPCBENCH_SYS_LIFE_LINE
    untrack(line.second.get());
#endif
    throw fmt::system_error(errno, "fork");
  }
  if (pid == 0) {
    // The supervisor's signal handlers are not the child's business, and a child must not
    // outlive a supervisor that was SIGKILLed. A write to a pipe whose reader died must be
    // EPIPE (the side reports its peer gone), not a SIGPIPE death that would be blamed as
    // the cause, whatever the embedding program did with SIGPIPE.
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_IGN);
#if IPCBENCH_SYS_PDEATHSIG_PRCTL
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
#elif IPCBENCH_SYS_PDEATHSIG_PROCCTL
    int death_signal = SIGKILL;
    ::procctl(P_PID, 0, PROC_PDEATHSIG_CTL, &death_signal);
    if (::getppid() != parent) ::_exit(1);
#else
    (void)parent;
    die_with_parent(line.first.release());
    [[maybe_unused]] const int closed = line.second.release();  // closed with the other write ends
#endif
    return {0, -1};
  }
#if IPCBENCH_SYS_LIFE_LINE
  return {pid, line.second.release()};
#else
  return {pid, -1};
#endif
}

Child::Child(Forked forked) : pid_(forked.pid), life_line_(forked.life_line) {
#if IPCBENCH_SYS_PIDFD
  if (pid_ > 0) pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
#endif
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
  if (r == pid_) {
    status_ = ExitStatus{raw};
    close_life_line();
  }
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
  close_life_line();
}

void Child::close_life_line() noexcept {
  if (life_line_ < 0) return;
#if IPCBENCH_SYS_LIFE_LINE
  untrack(life_line_);
#endif
  ::close(std::exchange(life_line_, -1));
}

void name_current_thread(const char* name) noexcept {
#if defined(__linux__)
  ::prctl(PR_SET_NAME, name);
#elif defined(__APPLE__)
  ::pthread_setname_np(name);
#elif defined(__FreeBSD__)
  ::pthread_set_name_np(::pthread_self(), name);
#else
  (void)name;
#endif
}

}  // namespace ipcbench::sys
