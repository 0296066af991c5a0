// zeromq-pubsub: a ZeroMQ PUB socket bound on ipc://, a SUB socket per subscriber, each in its own process's context.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "fanout/channel.hpp"
#include "transports/zeromq.hpp"

namespace ipcbench {

// The publisher's I/O thread writes each message into every subscriber's pipe; a pipe that
// holds ZMQ_SNDHWM (1000, libzmq's default, kept) messages drops the next ones for that
// subscriber only: a slow subscriber loses messages and never slows the publisher. Contexts
// are made after the fork, in publisher() and subscriber(), as libzmq requires.
class ZeromqPubsub {
 public:
  static constexpr FanoutInfo kInfo{
      .name = "zeromq-pubsub",
      .mechanism = "ZeroMQ PUB/SUB over ipc:// (abstract Unix socket), a context per process",
      .max_payload_bytes = std::size_t{1} << 20,
      .may_lose = true,
  };

  explicit ZeromqPubsub(const FanoutSetup& setup) : setup_(setup), address_(zeromq::private_ipc_address()) {}

  class Publisher {
   public:
    Publisher(zeromq::Context context, zeromq::Socket socket) noexcept : context_(std::move(context)), socket_(std::move(socket)) {}
    void publish(std::span<const std::byte> message) { zeromq::send(socket_.get(), message); }

   private:
    zeromq::Context context_;  // declared first: terminated only after the socket has closed
    zeromq::Socket socket_;
  };

  class Subscriber {
   public:
    Subscriber(zeromq::Context context, zeromq::Socket socket) noexcept : context_(std::move(context)), socket_(std::move(socket)) {}
    bool receive(std::span<std::byte> message);

   private:
    zeromq::Context context_;
    zeromq::Socket socket_;
  };

  [[nodiscard]] Publisher publisher();
  [[nodiscard]] Subscriber subscriber(std::size_t index);

 private:
  FanoutSetup setup_;
  std::string address_;
};

}  // namespace ipcbench
