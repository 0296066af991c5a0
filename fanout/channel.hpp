// The shape of a one-to-many mechanism: made before the fork, then one publisher and N subscribers each take their end.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <span>
#include <string_view>

#include "harness/transport.hpp"

namespace ipcbench {

// A process each: more would measure the scheduler more than the mechanism.
inline constexpr std::size_t kMaxFanoutSubscribers = 64;

struct FanoutInfo {
  std::string_view name;       // the CLI name, e.g. "udp-multicast"
  std::string_view mechanism;  // one line for `ipcbench list`
  std::size_t max_payload_bytes = 0;
  // A subscriber that falls behind loses messages (multicast, a ZeroMQ high-water mark)
  // instead of holding the publisher back (a full socket queue, a ring that may not be lapped).
  bool may_lose = false;
  // Subscribers poll shared memory: whether they spin or yield is the cell's choice (a
  // spinner needs a CPU of its own), and the row says which.
  bool subscribers_poll = false;
};

struct FanoutSetup {
  std::size_t payload_bytes = 64;
  std::size_t subscribers = 1;
  WaitKind subscriber_wait = WaitKind::block;  // spin or yield, for the mechanisms whose subscribers poll
  // How long a subscriber's receive waits before it returns empty-handed, so that its loop can
  // see the run end; and how long a publisher held back by a subscriber waits before it gives up.
  std::chrono::milliseconds receive_poll{20};
  std::chrono::milliseconds timeout{2000};
};

template <class P>
concept FanoutPublisher = requires(P& publisher, std::span<const std::byte> message) {
  publisher.publish(message);  // to every subscriber; throws when one cannot be reached
};

// receive() returns true with a whole message of the span's size, false when none came within
// the setup's receive_poll; it throws ProtocolError on a message of another size.
template <class S>
concept FanoutSubscriber = requires(S& subscriber, std::span<std::byte> message) {
  { subscriber.receive(message) } -> std::same_as<bool>;
};

// Shared resources are made by the constructor, before the fork; publisher() and
// subscriber(i) are called once each, in the process that keeps that end, and drop the rest.
template <class C>
concept FanoutChannel = std::constructible_from<C, const FanoutSetup&> && requires(C& channel, std::size_t index) {
  { C::kInfo } -> std::convertible_to<FanoutInfo>;
  { channel.publisher() } -> FanoutPublisher;
  { channel.subscriber(index) } -> FanoutSubscriber;
};

}  // namespace ipcbench
