// zeromq-pubsub's sockets: PUB bound, SUB connected and subscribed to everything, a receive timeout for the loop's sake.
#include "fanout/zeromq_pubsub.hpp"

#include <fmt/format.h>

#include "harness/sys/io.hpp"

namespace ipcbench {

ZeromqPubsub::Publisher ZeromqPubsub::publisher() {
  zeromq::Context context = zeromq::make_context(1);
  zeromq::Socket socket = zeromq::make_socket(context.get(), ZMQ_PUB, setup_.payload_bytes);
  if (::zmq_bind(socket.get(), address_.c_str()) != 0) zeromq::throw_zmq_error(fmt::format("zmq_bind {}", address_));
  return {std::move(context), std::move(socket)};
}

ZeromqPubsub::Subscriber ZeromqPubsub::subscriber(std::size_t) {
  zeromq::Context context = zeromq::make_context(1);
  zeromq::Socket socket = zeromq::make_socket(context.get(), ZMQ_SUB, setup_.payload_bytes);
  if (::zmq_setsockopt(socket.get(), ZMQ_SUBSCRIBE, "", 0) != 0) zeromq::throw_zmq_error("zmq_setsockopt ZMQ_SUBSCRIBE");
  zeromq::set_option(socket.get(), ZMQ_RCVTIMEO, static_cast<int>(setup_.receive_poll.count()), "ZMQ_RCVTIMEO");
  if (::zmq_connect(socket.get(), address_.c_str()) != 0) zeromq::throw_zmq_error(fmt::format("zmq_connect {}", address_));
  return {std::move(context), std::move(socket)};
}

bool ZeromqPubsub::Subscriber::receive(std::span<std::byte> message) {
  for (;;) {
    const int got = ::zmq_recv(socket_.get(), message.data(), message.size(), 0);
    if (got >= 0 && static_cast<std::size_t>(got) == message.size()) [[likely]] return true;
    if (got >= 0) throw ProtocolError(fmt::format("a {} B ZeroMQ message where the messages are {} B", got, message.size()));
    const int error = ::zmq_errno();
    if (error == EAGAIN) return false;
    if (error != EINTR) zeromq::throw_error(error, "zmq_recv", message.size());
  }
}

}  // namespace ipcbench
