// The message protocol every transport carries: a sequence header, the server's reply mark, the stop message.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace ipcbench {

// The first min(payload, 8) bytes hold the round trip's sequence number, little-endian.
// The server replies with those bytes inverted, so a reply can never be mistaken for the
// request that is still in a buffer somewhere. A header of all ones is the stop message
// when the client has raised the stop flag (a 1-byte sequence wraps to 0xff legitimately).
class Header {
 public:
  explicit Header(std::size_t payload_bytes) noexcept
      : width_(std::min<std::size_t>(payload_bytes, 8)),
        mask_(width_ == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * width_)) - 1) {}

  // A fixed-size copy compiles to one move; a variable one is a call to memcpy, which the
  // memcpy transport would show as harness cost.
  void stamp(std::span<std::byte> message, std::uint64_t sequence) const noexcept {
    if (width_ == 8) [[likely]]
      std::memcpy(message.data(), &sequence, 8);
    else
      std::memcpy(message.data(), &sequence, width_);
  }
  [[nodiscard]] std::uint64_t read(std::span<const std::byte> message) const noexcept {
    std::uint64_t value = 0;
    if (width_ == 8) [[likely]]
      std::memcpy(&value, message.data(), 8);
    else
      std::memcpy(&value, message.data(), width_);
    return value;
  }
  void mark_reply(std::span<std::byte> message) const noexcept { stamp(message, ~read(message) & mask_); }
  [[nodiscard]] bool is_reply_to(std::span<const std::byte> message, std::uint64_t sequence) const noexcept {
    return read(message) == (~sequence & mask_);
  }
  [[nodiscard]] bool may_be_stop(std::span<const std::byte> message) const noexcept { return read(message) == mask_; }
  void stamp_stop(std::span<std::byte> message) const noexcept { stamp(message, mask_); }
  [[nodiscard]] std::size_t width() const noexcept { return width_; }
  [[nodiscard]] std::uint64_t mask() const noexcept { return mask_; }

 private:
  std::size_t width_;
  std::uint64_t mask_;
};

// --verify: the bytes after the header follow a pattern derived from the sequence, checked
// in full by the server on the request and by the client on the reply.
inline std::byte pattern_byte(std::uint64_t sequence, std::size_t index) noexcept {
  return static_cast<std::byte>((sequence * 0x9E3779B97F4A7C15ull >> 56) + index * 131u);
}
inline void fill_pattern(std::span<std::byte> message, std::size_t from, std::uint64_t sequence) noexcept {
  for (std::size_t i = from; i < message.size(); ++i) message[i] = pattern_byte(sequence, i);
}
// Index of the first byte that breaks the pattern, or message.size().
inline std::size_t find_pattern_error(std::span<const std::byte> message, std::size_t from, std::uint64_t sequence) noexcept {
  for (std::size_t i = from; i < message.size(); ++i)
    if (message[i] != pattern_byte(sequence, i)) return i;
  return message.size();
}

}  // namespace ipcbench
