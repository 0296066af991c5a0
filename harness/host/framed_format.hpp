// FramedFormat: the message format of host mode, where the peer is not ours: every message is a wire frame (docs/wire-protocol.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "harness/wire.hpp"

namespace ipcbench {

// A REQUEST, REPLY or STOP frame of exactly the agreed payload: the 24-byte header, then the
// payload. The server checks every frame it receives (a frame longer than agreed, of another
// type, or not a frame at all ends the session) and turns a request into its reply by its
// type alone.
class FramedFormat {
 public:
  explicit FramedFormat(std::size_t payload_bytes) noexcept : message_bytes_(wire::kHeaderBytes + payload_bytes) {}

  [[nodiscard]] std::size_t message_bytes() const noexcept { return message_bytes_; }
  [[nodiscard]] std::size_t pattern_offset() const noexcept { return wire::kHeaderBytes; }
  [[nodiscard]] std::uint64_t pattern_key(std::uint64_t sequence) const noexcept { return sequence; }
  void stamp_request(std::span<std::byte> message, std::uint64_t sequence, std::uint64_t send_ns) const noexcept {
    wire::stamp_data(message, wire::FrameType::request, sequence, send_ns);
  }
  [[nodiscard]] bool is_reply_to(std::span<const std::byte> message, std::uint64_t sequence) const noexcept {
    return wire::is_data_frame(message, wire::FrameType::reply) && wire::sequence_of(message) == sequence;
  }
  [[noreturn]] void throw_bad_reply(std::span<const std::byte> message, std::uint64_t sequence) const;
  [[nodiscard]] bool is_stop(std::span<const std::byte> message) const {
    if (wire::is_data_frame(message, wire::FrameType::request)) [[likely]] return false;
    if (wire::is_data_frame(message, wire::FrameType::stop)) return true;
    wire::throw_bad_data_frame(message, "request or stop");
  }
  [[nodiscard]] std::uint64_t sequence_of(std::span<const std::byte> message) const noexcept { return wire::sequence_of(message); }
  void mark_reply(std::span<std::byte> message) const noexcept { wire::set_type(message, wire::FrameType::reply); }
  void stamp_stop(std::span<std::byte> message, std::uint64_t sequence) const noexcept {
    wire::stamp_data(message, wire::FrameType::stop, sequence, 0);
  }

 private:
  std::size_t message_bytes_;
};

}  // namespace ipcbench
