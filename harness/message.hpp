// What a round trip's message carries besides the payload: the sequence, the reply mark, the stop. One format per kind of connection.
#pragma once

#include <algorithm>
#include <atomic>
#include <concepts>
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

  // Every operation tests the width once and takes the whole-word path for payloads of 8
  // bytes and more: one 8-byte move, and no mask, which is all ones there. A variable-size
  // memcpy for the shorter headers would be a call, and would take the address of the value,
  // which then lives on the stack and is stored there every round trip: they are put
  // together byte by byte instead.
  void stamp(std::span<std::byte> message, std::uint64_t sequence) const noexcept {
    if (width_ == 8) [[likely]]
      store_word(message, sequence);
    else
      store_narrow(message, sequence);
  }
  [[nodiscard]] std::uint64_t read(std::span<const std::byte> message) const noexcept {
    if (width_ == 8) [[likely]]
      return load_word(message);
    return load_narrow(message);
  }
  void mark_reply(std::span<std::byte> message) const noexcept {
    if (width_ == 8) [[likely]]
      store_word(message, ~load_word(message));
    else
      store_narrow(message, ~load_narrow(message) & mask_);
  }
  [[nodiscard]] bool is_reply_to(std::span<const std::byte> message, std::uint64_t sequence) const noexcept {
    if (width_ == 8) [[likely]]
      return load_word(message) == ~sequence;
    return load_narrow(message) == (~sequence & mask_);
  }
  [[nodiscard]] bool may_be_stop(std::span<const std::byte> message) const noexcept { return read(message) == mask_; }
  void stamp_stop(std::span<std::byte> message) const noexcept { stamp(message, mask_); }
  [[nodiscard]] std::size_t width() const noexcept { return width_; }
  [[nodiscard]] std::uint64_t mask() const noexcept { return mask_; }

 private:
  static void store_word(std::span<std::byte> message, std::uint64_t value) noexcept {
    std::memcpy(message.data(), &value, 8);
  }
  static std::uint64_t load_word(std::span<const std::byte> message) noexcept {
    std::uint64_t value;
    std::memcpy(&value, message.data(), 8);
    return value;
  }
  void store_narrow(std::span<std::byte> message, std::uint64_t value) const noexcept {
    for (std::size_t i = 0; i < width_; ++i) message[i] = static_cast<std::byte>(value >> (8 * i));
  }
  [[nodiscard]] std::uint64_t load_narrow(std::span<const std::byte> message) const noexcept {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width_; ++i) value |= std::to_integer<std::uint64_t>(message[i]) << (8 * i);
    return value;
  }

  std::size_t width_;
  std::uint64_t mask_;
};

// A message format: how the client stamps a request and recognises its reply, how the server
// tells a request from the stop and turns a request into its reply. The format owns the
// bytes it adds; the --verify pattern fills the rest.
template <class F>
concept MessageFormat = requires(const F& format, std::span<std::byte> message, std::span<const std::byte> received,
                                 std::uint64_t sequence) {
  { format.message_bytes() } -> std::same_as<std::size_t>;
  { format.pattern_offset() } -> std::same_as<std::size_t>;  // where the --verify pattern starts
  { format.pattern_key(sequence) } -> std::same_as<std::uint64_t>;
  format.stamp_request(message, sequence, sequence);  // sequence, the client's send time in ns (or 0)
  { format.is_reply_to(received, sequence) } -> std::same_as<bool>;
  format.throw_bad_reply(received, sequence);
  { format.is_stop(received) } -> std::same_as<bool>;  // server: throws on what is neither request nor stop
  { format.sequence_of(received) } -> std::same_as<std::uint64_t>;
  format.mark_reply(message);
  format.stamp_stop(message, sequence);
};

[[noreturn]] void throw_bad_reply(std::uint64_t expected_sequence, std::uint64_t header, std::size_t payload_bytes);

// Between two sides the harness starts itself (thread and process mode): nothing crosses but
// the payload, its first bytes the Header. The stop also raises a flag in the control block,
// so that a 1-byte sequence of 0xff is not taken for it.
class InBandFormat {
 public:
  InBandFormat(std::size_t payload_bytes, std::atomic<std::uint32_t>& stop_requested) noexcept
      : header_(payload_bytes), payload_bytes_(payload_bytes), stop_requested_(&stop_requested) {}

  [[nodiscard]] std::size_t message_bytes() const noexcept { return payload_bytes_; }
  [[nodiscard]] std::size_t pattern_offset() const noexcept { return header_.width(); }
  [[nodiscard]] std::uint64_t pattern_key(std::uint64_t sequence) const noexcept { return sequence & header_.mask(); }
  void stamp_request(std::span<std::byte> message, std::uint64_t sequence, std::uint64_t /*send_ns*/) const noexcept {
    header_.stamp(message, sequence);
  }
  [[nodiscard]] bool is_reply_to(std::span<const std::byte> message, std::uint64_t sequence) const noexcept {
    return header_.is_reply_to(message, sequence);
  }
  [[noreturn]] void throw_bad_reply(std::span<const std::byte> message, std::uint64_t sequence) const {
    ipcbench::throw_bad_reply(sequence, header_.read(message), payload_bytes_);
  }
  [[nodiscard]] bool is_stop(std::span<const std::byte> message) const noexcept {
    return header_.may_be_stop(message) && stop_requested_->load(std::memory_order_acquire) != 0;
  }
  [[nodiscard]] std::uint64_t sequence_of(std::span<const std::byte> message) const noexcept { return header_.read(message); }
  void mark_reply(std::span<std::byte> message) const noexcept { header_.mark_reply(message); }
  void stamp_stop(std::span<std::byte> message, std::uint64_t /*sequence*/) const noexcept {
    stop_requested_->store(1, std::memory_order_release);
    header_.stamp_stop(message);
  }

 private:
  Header header_;
  std::size_t payload_bytes_;
  std::atomic<std::uint32_t>* stop_requested_;
};

// --verify: the bytes after the format's own follow a pattern derived from the sequence,
// checked in full by the server on the request and by the client on the reply.
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
