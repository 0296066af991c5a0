// boost-mq's cold code: making and unnaming the queues, and the errors of send and receive.
#include "transports/boost_mq.hpp"

#include <boost/interprocess/permissions.hpp>
#include <fmt/format.h>
#include <string>

#include "harness/sys/io.hpp"
#include "harness/sys/private_name.hpp"

namespace ipcbench::boost_mq {
namespace {

constexpr std::size_t kQueueDepth = 2;  // one message in flight, room for the close mark

}  // namespace

std::shared_ptr<Queue> make_queue(std::string_view direction, std::size_t message_bytes) {
  const std::string name = sys::private_ipc_name(direction);
  try {
    auto queue = std::make_shared<Queue>(boost::interprocess::create_only, name.c_str(), kQueueDepth, message_bytes,
                                         boost::interprocess::permissions(0600));
    Queue::remove(name.c_str());
    return queue;
  } catch (const boost::interprocess::interprocess_exception& e) {
    Queue::remove(name.c_str());
    throw std::system_error(e.get_native_error(), std::system_category(),
                            fmt::format("Boost.Interprocess message_queue {} of {} B messages: {}", name, message_bytes,
                                        e.what()));
  }
}

void send(Queue& queue, std::span<const std::byte> message) { queue.send(message.data(), message.size(), 0); }

void receive(Queue& queue, std::span<std::byte> message) {
  Queue::size_type received = 0;
  unsigned int priority = 0;
  queue.receive(message.data(), message.size(), received, priority);
  if (received == message.size()) [[likely]] return;
  if (received == 0) throw PeerClosed("the peer closed its message queue");
  throw ProtocolError(fmt::format("a {} B message where {} B were expected", received, message.size()));
}

void SendCloseMark::announce(Queue* queue) noexcept {
  try {
    [[maybe_unused]] const bool sent = queue->try_send("", 0, 0);
  } catch (...) {
    // A queue that cannot take the mark has nobody to tell.
  }
}

}  // namespace ipcbench::boost_mq
