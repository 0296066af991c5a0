// The kv workload's wire format (docs/load.md): a 16-byte header, then the key and the value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace ipcbench::kv {

// Request:  u32 length (bytes after this field) | u8 op | u8 0 | u16 key_bytes | u64 id | key | value (SET)
// Reply:    u32 length (bytes after this field) | u8 status | u8 0 | u16 0 | u64 id | value (GET hit)
// Little-endian, as every host built for (static_assert in harness/wire.hpp).
inline constexpr std::size_t kHeaderBytes = 16;
inline constexpr std::size_t kLengthFieldBytes = 4;
inline constexpr std::size_t kMaxKeyBytes = 250;
inline constexpr std::size_t kMaxValueBytes = 64 * 1024;
inline constexpr std::size_t kMaxFrameBytes = kHeaderBytes + kMaxKeyBytes + kMaxValueBytes;

enum class Op : std::uint8_t { get = 1, set = 2, del = 3 };
enum class Status : std::uint8_t { ok = 0, not_found = 1, bad_request = 2, full = 3 };

struct Header {
  std::uint32_t length = 0;  // bytes after the length field: 12 + key + value
  std::uint8_t code = 0;     // an Op in a request, a Status in a reply
  std::uint16_t key_bytes = 0;
  std::uint64_t id = 0;

  [[nodiscard]] std::size_t frame_bytes() const noexcept { return kLengthFieldBytes + length; }
  [[nodiscard]] std::size_t value_bytes() const noexcept { return length + kLengthFieldBytes - kHeaderBytes - key_bytes; }
};

[[nodiscard]] inline Header read_header(std::span<const std::byte> frame) noexcept {
  Header h;
  std::memcpy(&h.length, frame.data(), 4);
  h.code = static_cast<std::uint8_t>(frame[4]);
  std::memcpy(&h.key_bytes, frame.data() + 6, 2);
  std::memcpy(&h.id, frame.data() + 8, 8);
  return h;
}

inline void write_header(std::span<std::byte> frame, const Header& h) noexcept {
  std::memcpy(frame.data(), &h.length, 4);
  frame[4] = static_cast<std::byte>(h.code);
  frame[5] = std::byte{0};
  std::memcpy(frame.data() + 6, &h.key_bytes, 2);
  std::memcpy(frame.data() + 8, &h.id, 8);
}

// The length field of a frame carrying this key and value.
[[nodiscard]] constexpr std::uint32_t length_for(std::size_t key_bytes, std::size_t value_bytes) noexcept {
  return static_cast<std::uint32_t>(kHeaderBytes - kLengthFieldBytes + key_bytes + value_bytes);
}

// Whether a request header can be answered; a frame that fails this is malformed, and the
// server closes the connection after its reply, since the length may be what was wrong.
[[nodiscard]] constexpr bool well_formed_request(const Header& h) noexcept {
  if (h.length < kHeaderBytes - kLengthFieldBytes || h.frame_bytes() > kMaxFrameBytes) return false;
  if (h.key_bytes == 0 || h.key_bytes > kMaxKeyBytes) return false;
  if (h.frame_bytes() < kHeaderBytes + h.key_bytes) return false;
  const bool has_value = h.frame_bytes() > kHeaderBytes + h.key_bytes;
  switch (static_cast<Op>(h.code)) {
    case Op::get:
    case Op::del: return !has_value;
    case Op::set: return true;
  }
  return false;
}

}  // namespace ipcbench::kv
