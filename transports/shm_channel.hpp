// ShmChannel: two message slots in anonymous shared memory; how a side learns that a slot is full is the Signal policy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

#include "harness/buffer.hpp"
#include "harness/sys/mapping.hpp"
#include "harness/transport.hpp"

namespace ipcbench {

inline constexpr std::size_t kShmMaxPayloadBytes = std::size_t{1} << 20;
inline constexpr std::size_t kCacheLineBytes = 64;

// When both slots fit in one cache line they share it on purpose: a round trip then moves
// one line back and forth, which is the floor `ipcbench limits` measures. Larger slots
// each start on a line of their own, so the two directions never falsely share one.
constexpr std::size_t shm_slot_stride(std::size_t slot_bytes) noexcept {
  return slot_bytes <= kCacheLineBytes / 2 ? kCacheLineBytes / 2
                                           : (slot_bytes + kCacheLineBytes - 1) / kCacheLineBytes * kCacheLineBytes;
}
constexpr CacheLines shm_cache_lines(std::size_t slot_bytes) noexcept {
  if (slot_bytes <= kCacheLineBytes / 2) return {1, true};
  return {shm_slot_stride(slot_bytes) / kCacheLineBytes, false};
}

// A Signal policy has
//   kInfo               the transport's TransportInfo;
//   Slot                what lives in the mapping right before each slot's payload (a sequence
//                       word, a semaphore; an empty type when the signal lives elsewhere);
//   Signal(setup)       what the two sides share outside the mapping (descriptors), made
//                       before any thread or fork;
//   client_side(), server_side()
//                       each called once, returning what that side holds: its notify(slot, n)
//                       publishes the n-th message of a slot, its wait(slot, n) returns once
//                       the n-th message is published, with acquire ordering for the payload.
template <class Signal>
class ShmChannel {
  using Slot = typename Signal::Slot;
 public:
  // A Slot sits right before its payload, so that a spinning sequence word shares its cache
  // line with the first payload bytes and a small message crosses in one line transfer.
  static constexpr std::size_t kPayloadOffset = std::is_empty_v<Slot> ? 0 : (sizeof(Slot) + 7) / 8 * 8;
  static constexpr CacheLines cache_lines(std::size_t payload_bytes) noexcept {
    return shm_cache_lines(kPayloadOffset + payload_bytes);
  }

 private:
  struct Place {
    Slot* slot;
    std::byte* payload;
  };

 public:
  static constexpr TransportInfo kInfo = [] {
    TransportInfo info = Signal::kInfo;
    info.cache_lines = &ShmChannel::cache_lines;
    return info;
  }();

  template <class Side>
  class Endpoint {
   public:
    Endpoint(std::shared_ptr<sys::Mapping> mapping, Place out, Place in, Side side) noexcept
        : mapping_(std::move(mapping)), out_(out), in_(in), side_(std::move(side)) {}
    void send(std::span<const std::byte> message) {
      copy_message(out_.payload, message.data(), message.size());
      side_.notify(*out_.slot, ++sent_);
    }
    void receive(std::span<std::byte> message) {
      side_.wait(*in_.slot, ++received_);
      copy_message(message.data(), in_.payload, message.size());
    }

   private:
    std::shared_ptr<sys::Mapping> mapping_;  // keeps the pages mapped in a forked child
    Place out_;
    Place in_;
    Side side_;
    std::uint64_t sent_ = 0;
    std::uint64_t received_ = 0;
  };

  explicit ShmChannel(const TransportSetup& setup)
      : slot_stride_(shm_slot_stride(kPayloadOffset + setup.payload_bytes)),
        mapping_(std::make_shared<sys::Mapping>(2 * slot_stride_)),
        request_(place(0)),
        reply_(place(slot_stride_)),
        signal_(setup) {}

  [[nodiscard]] auto client() { return make_endpoint(request_, reply_, signal_.client_side()); }
  [[nodiscard]] auto server() { return make_endpoint(reply_, request_, signal_.server_side()); }

 private:
  template <class Side>
  Endpoint<Side> make_endpoint(Place out, Place in, Side side) {
    return Endpoint<Side>(mapping_, out, in, std::move(side));
  }

  // The Slot is never destroyed: see sys::Shared for why that is safe.
  Place place(std::size_t offset) {
    std::byte* base = static_cast<std::byte*>(mapping_->data()) + offset;
    return {new (base) Slot(), base + kPayloadOffset};
  }

  std::size_t slot_stride_;
  std::shared_ptr<sys::Mapping> mapping_;
  Place request_;
  Place reply_;
  Signal signal_;
};

// A signal that lives wholly in the mapping: both sides act on the slot alone.
template <class SlotType, class Act>
struct InMappingSignal {
  using Slot = SlotType;
  explicit InMappingSignal(const TransportSetup& /*setup*/) noexcept {}
  [[nodiscard]] Act client_side() const noexcept { return {}; }
  [[nodiscard]] Act server_side() const noexcept { return {}; }
};

}  // namespace ipcbench
