// WorkerPool: a fixed set of worker threads, each fed by its own lock-free queue and handing finished tasks back to one consumer thread.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <semaphore>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "harness/sys/child.hpp"
#include "harness/sys/fd.hpp"

namespace ipcbench {

// One thread (the owner) submits tasks and takes them back; each worker runs work(task).
// Queues are per worker and single-producer single-consumer both ways, so a task is handed
// over with one release store, no CAS loop (an MPMC queue's pop reads a node's payload
// before its CAS, a race TSan reports once nodes are reused); the owner picks the worker
// with the fewest tasks outstanding, which it counts itself. An idle worker
// sleeps on its semaphore, released once per task. A finished task wakes the owner through
// wake_fd(), written only when no wake-up is already pending.
template <class Task, class Work>
  requires std::is_trivially_copyable_v<Task> && std::is_nothrow_invocable_v<Work&, Task>
class WorkerPool {
 public:
  // A worker's queues hold this many tasks; past that on every worker, tasks wait in the
  // owner's overflow, which is allocated only then.
  static constexpr std::size_t kSlotsPerWorker = 1024;

  WorkerPool(std::size_t workers, Work work) : work_(std::move(work)), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!wake_) throw std::system_error(errno, std::generic_category(), "eventfd");
    workers_.reserve(workers);
    for (std::size_t i = 0; i < workers; ++i) workers_.push_back(std::make_unique<Worker>(*this));
  }

  void submit(Task task) {
    Worker* least = workers_.front().get();
    for (const auto& w : workers_)
      if (w->outstanding < least->outstanding) least = w.get();
    if (least->outstanding == kSlotsPerWorker) overflow_.push_back(task);
    else give(*least, task);
  }

  // Readable when tasks may have finished; then call take_finished().
  [[nodiscard]] int wake_fd() const noexcept { return wake_.get(); }

  // Calls done(task) for every finished task; done may submit again.
  template <class Done>
  void take_finished(Done&& done) {
    std::uint64_t wakes;
    [[maybe_unused]] const ssize_t n = ::read(wake_.get(), &wakes, sizeof wakes);
    // Cleared after the read and before the queues are looked at: a worker that finds it
    // set knows its task is seen below; one that finds it clear writes the eventfd again.
    wake_pending_.exchange(false, std::memory_order_acq_rel);
    for (const auto& w : workers_) {
      Task task;
      while (w->finished.pop(task)) {
        --w->outstanding;
        // The overflow is not empty only while every queue is full: the slot just freed is its.
        if (!overflow_.empty()) {
          give(*w, overflow_.front());
          overflow_.pop_front();
        }
        done(task);
      }
    }
  }

 private:
  struct alignas(64) Worker {
    explicit Worker(WorkerPool& pool) : thread([this, &pool] { pool.run(*this); }) {}
    // Released with no task queued: the worker's signal to end.
    ~Worker() {
      pending.release();
      thread.join();
    }
    boost::lockfree::spsc_queue<Task> tasks{kSlotsPerWorker};
    boost::lockfree::spsc_queue<Task> finished{kSlotsPerWorker};
    std::counting_semaphore<> pending{0};
    std::size_t outstanding = 0;  // the owner's count of tasks submitted and not taken back
    std::thread thread;           // last: starts once the rest is built
  };

  void give(Worker& worker, Task task) {
    static_cast<void>(worker.tasks.push(task));  // cannot fail: fewer than kSlotsPerWorker outstanding
    ++worker.outstanding;
    worker.pending.release();
  }

  void run(Worker& worker) noexcept {
    sys::name_current_thread("ipcb-worker");
    for (;;) {
      worker.pending.acquire();
      Task task;
      if (!worker.tasks.pop(task)) return;
      work_(task);
      static_cast<void>(worker.finished.push(task));  // cannot fail: as many slots as tasks
      if (!wake_pending_.exchange(true, std::memory_order_acq_rel)) {
        const std::uint64_t one = 1;
        [[maybe_unused]] const ssize_t n = ::write(wake_.get(), &one, sizeof one);
      }
    }
  }

  Work work_;
  sys::Fd wake_;
  std::deque<Task> overflow_;
  alignas(64) std::atomic<bool> wake_pending_{false};
  std::vector<std::unique_ptr<Worker>> workers_;  // last: its destructor stops and joins every worker first
};

}  // namespace ipcbench
