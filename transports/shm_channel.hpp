// ShmChannel: two message slots in anonymous shared memory; how a side waits for a slot is the Signal policy.
#pragma once

#include <cstddef>
#include <memory>
#include <new>

#include "harness/buffer.hpp"
#include "harness/sys/mapping.hpp"
#include "harness/transport.hpp"

namespace ipcbench {

inline constexpr std::size_t kShmMaxPayloadBytes = std::size_t{1} << 20;
inline constexpr std::size_t kCacheLineBytes = 64;

// Where a slot's Signal and payload live in the mapping. A Signal sits right before its
// payload, so that a spinning signal word shares its cache line with the first payload
// bytes and a small message crosses in one line transfer.
template <class Signal>
struct ShmSlot {
  Signal* signal;
  std::byte* payload;
};

// Both sides copy the full payload in and out of the shared slots. The mapping is anonymous
// (Boost.Interprocess), created before the fork, so no name can leak. Signal decides what
// blocks: a spinning sequence word (shm-spin, shm-yield) or a semaphore (shm-sem);
// notify(n) publishes the n-th message of a slot, wait(n) returns once it is published,
// with acquire ordering for the payload.
template <class Signal>
class ShmChannel {
  static constexpr std::size_t kPayloadOffset = (sizeof(Signal) + 7) / 8 * 8;

 public:
  static constexpr TransportInfo kInfo = Signal::kInfo;

  class Endpoint {
   public:
    Endpoint(std::shared_ptr<sys::Mapping> mapping, ShmSlot<Signal> out, ShmSlot<Signal> in) noexcept
        : mapping_(std::move(mapping)), out_(out), in_(in) {}
    void send(std::span<const std::byte> message) noexcept {
      copy_message(out_.payload, message.data(), message.size());
      out_.signal->notify(++sent_);
    }
    void receive(std::span<std::byte> message) {
      in_.signal->wait(++received_);
      copy_message(message.data(), in_.payload, message.size());
    }

   private:
    std::shared_ptr<sys::Mapping> mapping_;  // keeps the pages mapped in a forked child
    ShmSlot<Signal> out_;
    ShmSlot<Signal> in_;
    std::uint64_t sent_ = 0;
    std::uint64_t received_ = 0;
  };

  // When both slots fit in one cache line they share it on purpose: a round trip then moves
  // one line back and forth, which is the floor `ipcbench limits` measures. Larger slots
  // each start on a line of their own, so the two directions never falsely share one.
  explicit ShmChannel(const TransportSetup& setup)
      : slot_stride_(kPayloadOffset + setup.payload_bytes <= kCacheLineBytes / 2
                         ? kCacheLineBytes / 2
                         : (kPayloadOffset + setup.payload_bytes + kCacheLineBytes - 1) / kCacheLineBytes * kCacheLineBytes),
        mapping_(std::make_shared<sys::Mapping>(2 * slot_stride_)),
        request_(place_slot(0)),
        reply_(place_slot(slot_stride_)) {}

  [[nodiscard]] Endpoint client() const noexcept { return Endpoint(mapping_, request_, reply_); }
  [[nodiscard]] Endpoint server() const noexcept { return Endpoint(mapping_, reply_, request_); }

 private:
  // The Signal is never destroyed: see sys::Shared for why that is safe.
  ShmSlot<Signal> place_slot(std::size_t offset) {
    std::byte* base = static_cast<std::byte*>(mapping_->data()) + offset;
    return {new (base) Signal(), base + kPayloadOffset};
  }

  std::size_t slot_stride_;
  std::shared_ptr<sys::Mapping> mapping_;
  ShmSlot<Signal> request_;
  ShmSlot<Signal> reply_;
};

}  // namespace ipcbench
