// shm-spin and shm-yield: the shared-memory channel signalled by a sequence word that the waiter polls.
#pragma once

#include <sched.h>

#include <atomic>
#include <cstdint>

#include "transports/shm_channel.hpp"

namespace ipcbench {

// Wait policies: how to pass the time until a condition holds.
struct BusyWait {
  static constexpr WaitKind kKind = WaitKind::spin;
  template <class Ready>
  static void until(Ready ready) noexcept {
    while (!ready()) {
    }
  }
};

struct YieldWait {
  static constexpr WaitKind kKind = WaitKind::yield;
  template <class Ready>
  static void until(Ready ready) noexcept {
    while (!ready()) ::sched_yield();
  }
};

// Spins long enough to catch a peer that is running on another CPU, then gives the CPU up.
struct SpinThenYieldWait {
  static constexpr WaitKind kKind = WaitKind::spin_yield;
  static constexpr int kSpins = 2000;
  template <class Ready>
  static void until(Ready ready) noexcept {
    for (int i = 0; i < kSpins; ++i)
      if (ready()) return;
    while (!ready()) ::sched_yield();
  }
};

template <class Wait, const char* kName, const char* kMechanism>
struct SequenceSignal {
  static constexpr TransportInfo kInfo{
      .name = kName,
      .mechanism = kMechanism,
      .max_payload_bytes = kShmMaxPayloadBytes,
      .wait = Wait::kKind,
  };
  void notify(std::uint64_t sequence) noexcept { published_.store(sequence, std::memory_order_release); }
  void wait(std::uint64_t sequence) noexcept {
    Wait::until([&] { return published_.load(std::memory_order_acquire) == sequence; });
  }

 private:
  std::atomic<std::uint64_t> published_{0};
  static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "the word is shared across processes");
};

inline constexpr char kShmSpinName[] = "shm-spin";
inline constexpr char kShmSpinMechanism[] = "shared memory, both sides busy-wait on a sequence word";
inline constexpr char kShmYieldName[] = "shm-yield";
inline constexpr char kShmYieldMechanism[] = "shared memory, spin on a sequence word, then sched_yield()";

using ShmYield = ShmChannel<SequenceSignal<SpinThenYieldWait, kShmYieldName, kShmYieldMechanism>>;

// Two pure spinners on one CPU would hand over once per scheduler tick: there the same
// channel waits with sched_yield() instead, and the row says so.
struct ShmSpin : ShmChannel<SequenceSignal<BusyWait, kShmSpinName, kShmSpinMechanism>> {
  using ShmChannel::ShmChannel;
  using OnOneCpu = ShmChannel<SequenceSignal<YieldWait, kShmSpinName, kShmSpinMechanism>>;
};

}  // namespace ipcbench
