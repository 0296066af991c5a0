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

using SequenceWord = std::atomic<std::uint64_t>;
static_assert(SequenceWord::is_always_lock_free, "the word is shared across processes");

template <class Wait>
struct SequenceAct {
  void notify(SequenceWord& word, std::uint64_t sequence) noexcept { word.store(sequence, std::memory_order_release); }
  void wait(const SequenceWord& word, std::uint64_t sequence) noexcept {
    Wait::until([&] { return word.load(std::memory_order_acquire) == sequence; });
  }
};

template <class Wait, const char* kName, const char* kMechanism>
struct SequenceSignal : InMappingSignal<SequenceWord, SequenceAct<Wait>> {
  using InMappingSignal<SequenceWord, SequenceAct<Wait>>::InMappingSignal;
  static constexpr TransportInfo kInfo{
      .name = kName,
      .mechanism = kMechanism,
      .max_payload_bytes = kShmMaxPayloadBytes,
      .wait = Wait::kKind,
      .sees_peer_close = false,
  };
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
