// shm-ring: one writer, a ring of slots in shared memory, a cursor per subscriber; the writer never laps the slowest.
#pragma once

#include <atomic>
#include <chrono>
#include <cstring>
#include <cstddef>
#include <cstdint>
#include <fmt/format.h>
#include <sched.h>
#include <span>
#include <stdexcept>

#include "fanout/channel.hpp"
#include "harness/sys/mapping.hpp"

namespace ipcbench {

// Until ready() or the deadline passes: spinning (a CPU of one's own) or giving the CPU up
// each time (CPUs shared with the publisher or other subscribers). The clock is read every
// so often, not on every turn.
template <class Ready>
[[nodiscard]] bool poll_until(Ready ready, WaitKind wait, std::chrono::steady_clock::time_point deadline) noexcept {
  const int turns_per_clock_read = wait == WaitKind::spin ? 1024 : 16;
  for (;;) {
    for (int i = 0; i < turns_per_clock_read; ++i) {
      if (ready()) return true;
      if (wait != WaitKind::spin) ::sched_yield();
    }
    if (std::chrono::steady_clock::now() >= deadline) return ready();
  }
}

// Slot i % capacity holds message i once its word reads i + 1. A subscriber's cursor is the
// number of messages it has copied out; the writer fills a slot again only when every cursor
// has passed it, so a reader never races the writer and nothing is lost: a slow subscriber
// holds the publisher back, as a full socket queue does (the LMAX Disruptor's gating, without
// its batching). Each cursor and each slot's word start a cache line of their own.
class ShmRing {
  using Word = std::atomic<std::uint64_t>;
  static_assert(Word::is_always_lock_free, "the words are shared across processes");
  static constexpr std::size_t kLine = 64;

 public:
  static constexpr FanoutInfo kInfo{
      .name = "shm-ring",
      .mechanism = "shared-memory ring, one writer and a cursor per subscriber; the writer waits for the slowest",
      .max_payload_bytes = std::size_t{64} << 10,
      .may_lose = false,
      .subscribers_poll = true,
  };
  static constexpr std::size_t kCapacity = 256;  // slots; a power of two

  explicit ShmRing(const FanoutSetup& setup)
      : setup_(setup),
        stride_((sizeof(Word) + setup.payload_bytes + kLine - 1) / kLine * kLine),
        mapping_(setup.subscribers * kLine + kCapacity * stride_) {
    for (std::size_t i = 0; i < setup.subscribers; ++i) new (cursor(i)) Word(0);
    for (std::size_t i = 0; i < kCapacity; ++i) new (word(i)) Word(0);
  }

  class Publisher {
   public:
    explicit Publisher(ShmRing& ring) noexcept : ring_(&ring) {}
    void publish(std::span<const std::byte> message) {
      if (next_ - slowest_ >= kCapacity) wait_for_room();
      const std::size_t slot = next_ % kCapacity;
      std::memcpy(ring_->payload(slot), message.data(), message.size());
      ring_->word(slot)->store(++next_, std::memory_order_release);
    }

   private:
    void wait_for_room();

    ShmRing* ring_;
    std::uint64_t next_ = 0;     // messages published
    std::uint64_t slowest_ = 0;  // the lowest cursor when last read: a floor, cursors only grow
  };

  class Subscriber {
   public:
    Subscriber(ShmRing& ring, std::size_t index) noexcept : ring_(&ring), cursor_(ring.cursor(index)) {}
    bool receive(std::span<std::byte> message) noexcept {
      const std::size_t slot = read_ % kCapacity;
      const Word& word = *ring_->word(slot);
      const std::uint64_t wanted = read_ + 1;
      const auto published = [&] { return word.load(std::memory_order_acquire) == wanted; };
      if (!published() && !poll_until(published, ring_->setup_.subscriber_wait,
                                       std::chrono::steady_clock::now() + ring_->setup_.receive_poll))
        return false;
      std::memcpy(message.data(), ring_->payload(slot), message.size());
      cursor_->store(++read_, std::memory_order_release);
      return true;
    }

   private:
    ShmRing* ring_;
    Word* cursor_;
    std::uint64_t read_ = 0;
  };

  [[nodiscard]] Publisher publisher() noexcept { return Publisher(*this); }
  [[nodiscard]] Subscriber subscriber(std::size_t index) noexcept { return Subscriber(*this, index); }

 private:
  [[nodiscard]] std::byte* base() const noexcept { return static_cast<std::byte*>(mapping_.data()); }
  [[nodiscard]] Word* cursor(std::size_t subscriber) const noexcept {
    return reinterpret_cast<Word*>(base() + subscriber * kLine);
  }
  [[nodiscard]] std::byte* slot_start(std::size_t slot) const noexcept {
    return base() + setup_.subscribers * kLine + slot * stride_;
  }
  [[nodiscard]] Word* word(std::size_t slot) const noexcept { return reinterpret_cast<Word*>(slot_start(slot)); }
  [[nodiscard]] std::byte* payload(std::size_t slot) const noexcept { return slot_start(slot) + sizeof(Word); }

  FanoutSetup setup_;
  std::size_t stride_;
  sys::Mapping mapping_;
};

inline void ShmRing::Publisher::wait_for_room() {
  std::size_t slowest_index = 0;
  const auto room = [&] {
    std::uint64_t lowest = ~std::uint64_t{0};
    for (std::size_t i = 0; i < ring_->setup_.subscribers; ++i) {
      const std::uint64_t cursor = ring_->cursor(i)->load(std::memory_order_acquire);
      if (cursor < lowest) lowest = cursor, slowest_index = i;
    }
    slowest_ = lowest;
    return next_ - slowest_ < kCapacity;
  };
  if (!poll_until(room, ring_->setup_.subscriber_wait, std::chrono::steady_clock::now() + ring_->setup_.timeout))
    throw std::runtime_error(fmt::format("shm-ring: subscriber {} has not read message {} for {} ms", slowest_index + 1,
                                         slowest_ + 1, ring_->setup_.timeout.count()));
}

}  // namespace ipcbench
