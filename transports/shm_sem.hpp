// shm-sem: the shared-memory channel handed over by a process-shared semaphore (Boost.Interprocess).
#pragma once

#include <boost/interprocess/sync/interprocess_semaphore.hpp>
#include <cstdint>

#include "transports/shm_channel.hpp"

namespace ipcbench {

// post() after the copy, wait() before it: the semaphore is the memory ordering point. A
// waiter sleeps in the kernel (futex) until posted, so this is a blocking hand-off.
class SemaphoreSignal {
 public:
  static constexpr TransportInfo kInfo{
      .name = "shm-sem",
      .mechanism = "shared memory, hand-off by a process-shared semaphore",
      .max_payload_bytes = kShmMaxPayloadBytes,
      .wait = WaitKind::block,
  };
  void notify(std::uint64_t) { semaphore_.post(); }
  void wait(std::uint64_t) { semaphore_.wait(); }

 private:
  boost::interprocess::interprocess_semaphore semaphore_{0};
};

using ShmSem = ShmChannel<SemaphoreSignal>;

}  // namespace ipcbench
