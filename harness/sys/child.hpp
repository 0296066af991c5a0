// Child: the one owner of a forked process; its destructor kills and reaps.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>

namespace ipcbench::sys {

// How a child ended, in words fit for a FAILED reason: "exited with status 1",
// "killed by SIGKILL".
struct ExitStatus {
  int raw = 0;
  [[nodiscard]] bool clean() const noexcept;
  [[nodiscard]] bool signaled() const noexcept;
  [[nodiscard]] std::string describe() const;
};

class Child {
 public:
  // Forks; the child runs body() and _exits with its return value (1 if it throws), so no
  // destructor of the parent's objects ever runs twice. The child dies with its parent.
  template <class Body>
  static Child fork(Body&& body) {
    Child child(start_fork());
    if (child.pid_ == 0) run_in_child(std::forward<Body>(body));
    return child;
  }

  Child(Child&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)),
        pidfd_(std::exchange(other.pidfd_, -1)),
        life_line_(std::exchange(other.life_line_, -1)),
        status_(std::move(other.status_)) {}
  Child& operator=(Child&&) = delete;
  Child(const Child&) = delete;
  ~Child();

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  // A descriptor that polls readable when the child exits (-1 if the kernel lacks pidfd).
  [[nodiscard]] int pidfd() const noexcept { return pidfd_; }
  // Reaps without blocking; the status once the child has ended.
  std::optional<ExitStatus> try_reap();
  [[nodiscard]] const std::optional<ExitStatus>& status() const noexcept { return status_; }
  // "running", "stopped", "zombie"...: the child's state as /proc shows it ("unknown" without /proc).
  [[nodiscard]] std::string state() const;
  void kill(int signal) noexcept;
  // SIGKILL and reap; idempotent.
  void kill_and_reap() noexcept;
  // Ends the calling (child) process at once, flushing stdio first; no destructors run.
  [[noreturn]] static void exit_now(int code) noexcept;

 private:
  struct Forked {
    pid_t pid;
    int life_line;  // where the child watches a pipe for its parent's death (child.cpp): the write end, else -1
  };
  explicit Child(Forked forked);
  static Forked start_fork();
  void close_life_line() noexcept;
  template <class Body>
  [[noreturn]] static void run_in_child(Body&& body) noexcept {
    int code = 1;
    try {
      code = body();
    } catch (...) {
    }
    exit_now(code);
  }

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int life_line_ = -1;
  std::optional<ExitStatus> status_;
};

// Names the calling thread ("ipcb-client", "ipcb-server"), as top, ps and the tests see it.
void name_current_thread(const char* name) noexcept;

}  // namespace ipcbench::sys
