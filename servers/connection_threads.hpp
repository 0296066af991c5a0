// ConnectionThreads: the `threads` server's one owner of its connection threads, live and finished.
#pragma once

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "harness/sys/fd.hpp"
#include "servers/architecture.hpp"

namespace ipcbench {

// Threads are joined by the thread that started them (the acceptor), as they end: a thread's
// last act is to announce itself finished, which wakes the acceptor through wake_fd(). Only
// then is the connection counted closed, so a closed count that has caught up with the
// accepted count means no connection thread is left. The sockets of live threads are kept
// so that a stop can shut them: a blocking recv returns 0, a blocking send fails.
class ConnectionThreads {
 public:
  static constexpr std::size_t kStackBytes = 64 * 1024;

  explicit ConnectionThreads(ServerCounters& counters);
  // Shuts every live socket both ways and joins every thread.
  ~ConnectionThreads();
  ConnectionThreads(const ConnectionThreads&) = delete;
  ConnectionThreads& operator=(const ConnectionThreads&) = delete;

  // Runs body(argument) on a new thread that serves `fd` and ends with finished(); false
  // (nothing started, the caller still owns both) when the kernel refused the thread.
  [[nodiscard]] bool start(int fd, void* (*body)(void*), void* argument);

  // A connection thread's last call: closes its socket (while no stop can shut it) and
  // hands over what it threw, if anything.
  void finished(sys::Fd fd, std::exception_ptr error) noexcept;
  [[nodiscard]] bool stopping() const noexcept { return stopping_.load(std::memory_order_relaxed); }

  // The acceptor's side.
  [[nodiscard]] int wake_fd() const noexcept { return wake_.get(); }
  // Joins the threads that have finished, counting their connections closed.
  void reap();
  // The first exception a connection thread threw, once reaped.
  [[nodiscard]] std::exception_ptr error() const noexcept { return error_; }
  // Graceful stop: nothing more is read; each thread writes what it answered and ends.
  void stop_reading();
  // Waits until every thread ended or `deadline`; true when none is left.
  bool join_all(std::chrono::steady_clock::time_point deadline);
  // After the grace: sends fail too.
  void shut_all();

 private:
  struct Finished {
    pthread_t thread;
    std::exception_ptr error;
  };
  ServerCounters& counters_;
  sys::Fd wake_;  // an eventfd, written by each thread that finishes
  pthread_attr_t attributes_;
  std::atomic<bool> stopping_{false};
  std::size_t running_ = 0;  // started and not yet joined; the acceptor's alone
  std::exception_ptr error_;
  std::mutex mutex_;  // guards live_ and finished_
  std::unordered_set<int> live_;
  std::vector<Finished> finished_;
};

}  // namespace ipcbench
