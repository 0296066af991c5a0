// shm-futex: the shared-memory channel handed over by a futex word: a kernel wake-up with nothing else in the way.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "transports/shm_channel.hpp"

namespace ipcbench {

// The word beside each slot: the number of the last message published (its low 32 bits, a
// futex's width), and how many sides are asleep on it. Both are shared across fork, so the
// futex calls are the shared kind (no FUTEX_PRIVATE_FLAG), in thread mode too.
struct FutexWord {
  std::atomic<std::uint32_t> sequence{0};
  std::atomic<std::uint32_t> sleepers{0};
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free, "the word is shared across processes");

// notify() publishes, then wakes the peer only if it sleeps; wait() checks once and sleeps
// in FUTEX_WAIT until the number it waits for is there: no spinning, no library. The two
// sides' seq_cst store-then-load pairs (sequence then sleepers, sleepers then sequence) mean
// a waiter that missed the message is always seen, and FUTEX_WAIT returns at once if the
// word moved before the kernel looked.
struct FutexAct {
  void notify(FutexWord& word, std::uint64_t sequence) noexcept {
    word.sequence.store(static_cast<std::uint32_t>(sequence), std::memory_order_seq_cst);
    if (word.sleepers.load(std::memory_order_seq_cst) != 0) [[unlikely]]
      ::syscall(SYS_futex, &word.sequence, FUTEX_WAKE, 1, nullptr, nullptr, 0);
  }
  void wait(FutexWord& word, std::uint64_t sequence) noexcept {
    const auto wanted = static_cast<std::uint32_t>(sequence);
    for (;;) {
      std::uint32_t seen = word.sequence.load(std::memory_order_acquire);
      if (seen == wanted) return;
      word.sleepers.fetch_add(1, std::memory_order_seq_cst);
      seen = word.sequence.load(std::memory_order_seq_cst);
      // EINTR, EAGAIN (the word moved) and a spurious wake all mean: look again.
      if (seen != wanted) ::syscall(SYS_futex, &word.sequence, FUTEX_WAIT, seen, nullptr, nullptr, 0);
      word.sleepers.fetch_sub(1, std::memory_order_relaxed);
    }
  }
};

struct FutexSignal : InMappingSignal<FutexWord, FutexAct> {
  using InMappingSignal::InMappingSignal;
  static constexpr TransportInfo kInfo{
      .name = "shm-futex",
      .mechanism = "shared memory, hand-off by a futex word (FUTEX_WAIT/FUTEX_WAKE)",
      .max_payload_bytes = kShmMaxPayloadBytes,
      .sees_peer_close = false,
  };
};

using ShmFutex = ShmChannel<FutexSignal>;

}  // namespace ipcbench
