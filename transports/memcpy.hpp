// memcpy: the harness floor, one thread copying the message into a buffer and back.
#pragma once

#include "harness/buffer.hpp"
#include "harness/message.hpp"
#include "harness/transport.hpp"

namespace ipcbench {

// One thread plays both sides: send() copies the request into a buffer and marks the reply
// there (the server's work), receive() copies it back. No synchronisation, no kernel: what
// is left is the harness's own cost per round trip plus two copies.
class Memcpy {
 public:
  static constexpr TransportInfo kInfo{
      .name = "memcpy",
      .mechanism = "one thread copies the message into a buffer and back (the harness floor)",
      .max_payload_bytes = 1 << 20,
      .wait = WaitKind::none,
  };

  class Endpoint {
   public:
    explicit Endpoint(std::size_t payload_bytes) : buffer_(payload_bytes), header_(payload_bytes) {}
    // Each step reads what the step before it wrote from memory, as two sides would: the
    // compiler could otherwise carry the words from one copy to the next in registers.
    void send(std::span<const std::byte> message) noexcept {
      copy_message(buffer_.bytes().data(), untraced(message.data()), message.size());
      header_.mark_reply({untraced(buffer_.bytes().data()), message.size()});
    }
    void receive(std::span<std::byte> message) noexcept {
      copy_message(message.data(), untraced(buffer_.bytes().data()), message.size());
      escape(buffer_.bytes().data(), message.data());  // both copies, once per round trip
    }

   private:
    MessageBuffer buffer_;
    Header header_;
  };

  explicit Memcpy(const TransportSetup& setup) : payload_bytes_(setup.payload_bytes) {}
  [[nodiscard]] Endpoint loopback() const { return Endpoint(payload_bytes_); }

 private:
  std::size_t payload_bytes_;
};

}  // namespace ipcbench
