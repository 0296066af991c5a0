// ShmChannel: two message slots in anonymous shared memory; how a side waits for a slot is the Signal policy.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstring>
#include <memory>

#include "harness/buffer.hpp"
#include "harness/sys/mapping.hpp"
#include "harness/transport.hpp"

namespace ipcbench {

inline constexpr std::size_t kShmMaxPayloadBytes = std::size_t{1} << 20;

// A Signal sits at the start of its slot, so that a spinning signal word shares its cache
// line with the first payload bytes and a small message crosses in one line transfer.
// notify(n) publishes the n-th message of the slot; wait(n) returns once it is published,
// with acquire ordering for the payload.
template <class Signal>
struct alignas(64) ShmSlot {
  Signal signal;
  std::byte payload[kShmMaxPayloadBytes];
};

template <class Signal>
struct ShmSlots {
  ShmSlot<Signal> request;
  ShmSlot<Signal> reply;
};
static_assert(alignof(ShmSlot<int>) == 64 && sizeof(ShmSlot<int>) % 64 == 0, "slots must not share a cache line");

// Both sides copy the full payload in and out of the shared slots. The mapping is anonymous
// (Boost.Interprocess), created before the fork, so no name can leak. Signal decides what
// blocks: a spinning sequence word (shm-spin, shm-yield) or a semaphore (shm-sem).
template <class Signal>
class ShmChannel {
  using Slots = ShmSlots<Signal>;

 public:
  static constexpr TransportInfo kInfo = Signal::kInfo;

  class Endpoint {
   public:
    Endpoint(std::shared_ptr<sys::Shared<Slots>> slots, ShmSlot<Signal>& out, ShmSlot<Signal>& in) noexcept
        : slots_(std::move(slots)), out_(&out), in_(&in) {}
    void send(std::span<const std::byte> message) noexcept {
      copy_message(out_->payload, message.data(), message.size());
      out_->signal.notify(++sent_);
    }
    void receive(std::span<std::byte> message) {
      in_->signal.wait(++received_);
      copy_message(message.data(), in_->payload, message.size());
    }

   private:
    std::shared_ptr<sys::Shared<Slots>> slots_;  // keeps the mapping alive in a forked child
    ShmSlot<Signal>* out_;
    ShmSlot<Signal>* in_;
    std::uint64_t sent_ = 0;
    std::uint64_t received_ = 0;
  };

  explicit ShmChannel(const TransportSetup&) : slots_(std::make_shared<sys::Shared<Slots>>()) {}
  [[nodiscard]] Endpoint client() const noexcept { return Endpoint(slots_, (*slots_)->request, (*slots_)->reply); }
  [[nodiscard]] Endpoint server() const noexcept { return Endpoint(slots_, (*slots_)->reply, (*slots_)->request); }

 private:
  std::shared_ptr<sys::Shared<Slots>> slots_;
};

}  // namespace ipcbench
