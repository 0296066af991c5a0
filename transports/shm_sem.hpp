// shm-sem: the shared-memory channel handed over by a process-shared semaphore (Boost.Interprocess).
#pragma once

#include <boost/interprocess/sync/interprocess_semaphore.hpp>
#include <cstdint>

#include "transports/shm_channel.hpp"

namespace ipcbench {

// The semaphore lives in the mapping beside its slot; post() after the copy, wait() before
// it: the semaphore is the memory ordering point. A waiter sleeps in the kernel (futex)
// until posted, so this is a blocking hand-off.
struct Semaphore : boost::interprocess::interprocess_semaphore {
  Semaphore() : interprocess_semaphore(0) {}
};

struct SemaphoreAct {
  void notify(Semaphore& semaphore, std::uint64_t /*sequence*/) { semaphore.post(); }
  void wait(Semaphore& semaphore, std::uint64_t /*sequence*/) { semaphore.wait(); }
};

struct SemaphoreSignal : InMappingSignal<Semaphore, SemaphoreAct> {
  using InMappingSignal::InMappingSignal;
  static constexpr TransportInfo kInfo{
      .name = "shm-sem",
      .mechanism = "shared memory, hand-off by a process-shared semaphore",
      .max_payload_bytes = kShmMaxPayloadBytes,
      .sees_peer_close = false,
  };
};

using ShmSem = ShmChannel<SemaphoreSignal>;

}  // namespace ipcbench
