// boost-mq: two Boost.Interprocess message queues, one per direction.
#pragma once

#include <boost/interprocess/ipc/message_queue.hpp>
#include <cstddef>
#include <memory>
#include <span>
#include <utility>

#include "harness/sys/announcing_fd.hpp"
#include "harness/transport.hpp"

namespace ipcbench {
namespace boost_mq {

using Queue = boost::interprocess::message_queue;

// A queue of two messages of up to message_bytes, in shared memory that Boost maps under a
// private name (0600, created exclusively) and that is removed before this returns: the
// mapping is all either side needs, and a forked side inherits it.
std::shared_ptr<Queue> make_queue(std::string_view direction, std::size_t message_bytes);
void send(Queue& queue, std::span<const std::byte> message);
// An empty message is the peer's close: PeerClosed.
void receive(Queue& queue, std::span<std::byte> message);
// A closing side sends an empty message, if there is room (never blocks).
struct SendCloseMark {
  static void announce(Queue* queue) noexcept;
};

}  // namespace boost_mq

// Boost's message_queue in shared memory: a ring of fixed-size message slots guarded by a
// process-shared mutex, with a condition variable each for "not empty" and "not full". send()
// copies the message into a slot under the mutex and signals the receiver; a blocking
// receive() waits on the condition and copies it out. Everything is user-space shared memory
// plus the futexes under the pthread mutex and conditions.
class BoostMq {
 public:
  static constexpr TransportInfo kInfo{
      .name = "boost-mq",
      .mechanism = "two Boost.Interprocess message_queues (shared memory, mutex and conditions)",
      .max_payload_bytes = std::size_t{1} << 20,
  };

  class Endpoint {
   public:
    Endpoint(std::shared_ptr<boost_mq::Queue> in, std::shared_ptr<boost_mq::Queue> out) noexcept
        : in_(std::move(in)), out_(std::move(out)) {}
    void send(std::span<const std::byte> message) { boost_mq::send(*out_.get(), message); }
    void receive(std::span<std::byte> message) { boost_mq::receive(*in_, message); }

   private:
    std::shared_ptr<boost_mq::Queue> in_;
    sys::Announcing<std::shared_ptr<boost_mq::Queue>, boost_mq::SendCloseMark> out_;
  };

  explicit BoostMq(const TransportSetup& setup)
      : to_server_(boost_mq::make_queue("boost-mq-to-server", setup.payload_bytes)),
        to_client_(boost_mq::make_queue("boost-mq-to-client", setup.payload_bytes)) {}
  // Plain queues until an endpoint takes them: a forked side drops the other's, and that
  // must not tell anyone it closed.
  [[nodiscard]] Endpoint client() noexcept { return {to_client_, to_server_}; }
  [[nodiscard]] Endpoint server() noexcept { return {to_server_, to_client_}; }

 private:
  std::shared_ptr<boost_mq::Queue> to_server_;
  std::shared_ptr<boost_mq::Queue> to_client_;
};

}  // namespace ipcbench
