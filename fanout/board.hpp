// Board: what the publisher, the subscribers and the supervisor of a fan-out repetition share besides the mechanism itself.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <string_view>

#include "harness/sys/mapping.hpp"

namespace ipcbench {

inline constexpr std::uint64_t kNoSequence = std::numeric_limits<std::uint64_t>::max();

// A reason for the supervisor, written by the process that failed before it exits.
struct Reason {
  std::array<char, 240> text{};
  void set(std::string_view what) noexcept {
    const std::size_t n = std::min(what.size(), text.size() - 1);
    std::memcpy(text.data(), what.data(), n);
    text[n] = '\0';
  }
  [[nodiscard]] std::string_view get() const noexcept { return text.data(); }
};

// The publisher's plan as it goes, and what it measured. Sequences start at 1; 0 marks the
// join messages sent until every subscriber has seen one.
struct FanoutControl {
  std::atomic<std::uint64_t> rate_begin{kNoSequence};     // first message of the rate pass
  std::atomic<std::uint64_t> latency_begin{kNoSequence};  // first message of the latency pass
  std::atomic<std::uint64_t> last{0};                     // the last message, once finished
  std::atomic<std::uint32_t> finished{0};
  std::uint64_t rate_messages = 0;
  std::uint64_t rate_ns = 0;  // from the first message of the rate pass to its last one reaching the last subscriber
  std::uint64_t rate_cpu_ns = 0;
  std::uint64_t latency_messages = 0;
  int cpu = -1;
  Reason error;
};

struct SubscriberState {
  // The publisher polls it, the subscriber writes it after each message: a line of its own.
  alignas(64) std::atomic<std::uint64_t> through{0};  // the highest sequence read
  alignas(64) std::atomic<std::uint32_t> ready{0};    // holds its end and is about to read
  std::atomic<std::uint32_t> joined{0};               // has read a join message
  std::uint64_t received = 0;
  std::uint64_t lost = 0;  // messages it never read: the gaps in the sequences, and the tail
  std::uint64_t rate_cpu_ns = 0;
  int cpu = -1;
  Reason error;
};

// One anonymous mapping: the control block, a state per subscriber, the latency pass's send
// times and every subscriber's arrival time of each of its messages (0: never arrived), all
// in the Clock's ticks. Made before the fork; nothing in it owns anything outside it.
class Board {
 public:
  Board(std::size_t subscribers, std::size_t latency_messages)
      : subscribers_(subscribers),
        latency_messages_(latency_messages),
        mapping_(kStatesOffset + subscribers * sizeof(SubscriberState) + (subscribers + 1) * latency_messages * sizeof(std::uint64_t)) {
    new (&control()) FanoutControl();
    for (std::size_t i = 0; i < subscribers; ++i) new (&subscriber(i)) SubscriberState();
  }

  [[nodiscard]] FanoutControl& control() const noexcept { return *reinterpret_cast<FanoutControl*>(base()); }
  [[nodiscard]] SubscriberState& subscriber(std::size_t index) const noexcept {
    return reinterpret_cast<SubscriberState*>(base() + kStatesOffset)[index];
  }
  [[nodiscard]] std::uint64_t* sent() const noexcept { return stamps(); }
  [[nodiscard]] std::uint64_t* arrivals(std::size_t subscriber) const noexcept {
    return stamps() + (subscriber + 1) * latency_messages_;
  }
  [[nodiscard]] std::size_t subscribers() const noexcept { return subscribers_; }
  [[nodiscard]] std::size_t latency_capacity() const noexcept { return latency_messages_; }

 private:
  static constexpr std::size_t kStatesOffset = (sizeof(FanoutControl) + 63) / 64 * 64;
  [[nodiscard]] std::byte* base() const noexcept { return static_cast<std::byte*>(mapping_.data()); }
  [[nodiscard]] std::uint64_t* stamps() const noexcept {
    return reinterpret_cast<std::uint64_t*>(base() + kStatesOffset + subscribers_ * sizeof(SubscriberState));
  }

  std::size_t subscribers_;
  std::size_t latency_messages_;
  sys::Mapping mapping_;
};

}  // namespace ipcbench
