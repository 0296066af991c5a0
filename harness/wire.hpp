// The wire protocol of host mode (docs/wire-protocol.md): frame headers, data frames for the hot path, control bodies for the session.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "harness/manifest.hpp"
#include "harness/settings.hpp"
#include "harness/sys/io.hpp"

namespace ipcbench::wire {

inline constexpr std::uint32_t kProtocolVersion = 1;
inline constexpr std::size_t kHeaderBytes = 24;
inline constexpr std::size_t kMaxControlBodyBytes = 16384;
inline constexpr std::uint16_t kMagic = 0x4249;  // 'I', 'B' on the wire
// The start of the REFUSE reason of a server that is serving another client.
inline constexpr std::string_view kBusyReason = "busy: serving another client";

enum class FrameType : std::uint8_t { hello = 1, welcome = 2, refuse = 3, request = 4, reply = 5, stop = 6, result = 7 };
std::string_view to_string(FrameType type) noexcept;

static_assert(std::endian::native == std::endian::little, "the wire is little-endian, and so is every host built for");

// Offsets of the header's fields.
inline constexpr std::size_t kMagicAt = 0, kTypeAt = 2, kFlagsAt = 3, kLengthAt = 4, kSequenceAt = 8, kTimestampAt = 16;

// Data frames: a whole frame (header and payload) in one span, fixed-size copies only.
inline void stamp_data(std::span<std::byte> frame, FrameType type, std::uint64_t sequence, std::uint64_t timestamp_ns) noexcept {
  const std::uint16_t magic = kMagic;
  const auto length = static_cast<std::uint32_t>(frame.size() - kHeaderBytes);
  std::memcpy(frame.data() + kMagicAt, &magic, 2);
  frame[kTypeAt] = static_cast<std::byte>(type);
  frame[kFlagsAt] = std::byte{0};
  std::memcpy(frame.data() + kLengthAt, &length, 4);
  std::memcpy(frame.data() + kSequenceAt, &sequence, 8);
  std::memcpy(frame.data() + kTimestampAt, &timestamp_ns, 8);
}
[[nodiscard]] inline FrameType type_of(std::span<const std::byte> frame) noexcept { return static_cast<FrameType>(frame[kTypeAt]); }
inline void set_type(std::span<std::byte> frame, FrameType type) noexcept { frame[kTypeAt] = static_cast<std::byte>(type); }
[[nodiscard]] inline std::uint64_t sequence_of(std::span<const std::byte> frame) noexcept {
  std::uint64_t value;
  std::memcpy(&value, frame.data() + kSequenceAt, 8);
  return value;
}
[[nodiscard]] inline std::uint64_t timestamp_of(std::span<const std::byte> frame) noexcept {
  std::uint64_t value;
  std::memcpy(&value, frame.data() + kTimestampAt, 8);
  return value;
}
// Magic, type, flags and length all as a data frame of this size must have them: the first
// eight bytes compared at once.
[[nodiscard]] inline bool is_data_frame(std::span<const std::byte> frame, FrameType expected) noexcept {
  const std::uint64_t wanted = std::uint64_t{kMagic} | std::uint64_t{static_cast<std::uint8_t>(expected)} << 16 |
                               std::uint64_t{static_cast<std::uint32_t>(frame.size() - kHeaderBytes)} << 32;
  std::uint64_t found;
  std::memcpy(&found, frame.data(), 8);
  return found == wanted;
}
// What was wrong with a frame that is_data_frame() refused, as one line.
[[noreturn]] void throw_bad_data_frame(std::span<const std::byte> frame, std::string_view expected_types);

// A session's frames other than the data: a JSON body of at most kMaxControlBodyBytes.
struct ControlFrame {
  FrameType type;
  std::uint64_t sequence;
  std::uint64_t timestamp_ns;
  std::string_view body;  // valid until the decoder's next call
};

std::string encode_control(FrameType type, std::string_view body);

// Cuts whole control frames out of a byte stream. Its buffer is allocated once, at its
// largest; a header that announces more than kMaxControlBodyBytes, or that is not a control
// frame, is refused from the header alone.
class FrameDecoder {
 public:
  FrameDecoder();
  // Where the next received bytes go, and how many arrived.
  [[nodiscard]] std::span<std::byte> space() noexcept;
  void commit(std::size_t bytes) noexcept;
  // The next whole frame, or nullopt until more bytes arrive. Throws ProtocolError.
  [[nodiscard]] std::optional<ControlFrame> next();

 private:
  static constexpr std::size_t kCapacity = kHeaderBytes + kMaxControlBodyBytes;
  std::unique_ptr<std::byte[]> buffer_;
  std::size_t begin_ = 0;  // start of the bytes not yet handed out
  std::size_t end_ = 0;    // end of the bytes received
};

// A hello of another protocol version: what the server answers with a REFUSE naming both.
class VersionMismatch : public ProtocolError {
 public:
  VersionMismatch(std::uint32_t theirs, std::uint32_t ours);
  std::uint32_t theirs;
};

// A manifest object as a WELCOME or a results file's "manifest" holds it; ProtocolError names a
// missing or bad field.
Manifest manifest_from_json_text(std::string_view text);

struct Hello {
  std::uint32_t protocol = kProtocolVersion;
  std::string transport;
  std::size_t payload_bytes = 0;
  std::uint32_t repetition = 1;
  PassPlan plan;
  Manifest manifest;
};

struct Welcome {
  std::uint32_t protocol = kProtocolVersion;
  std::uint16_t data_port = 0;
  int server_cpu = -1;
  Manifest manifest;
};

struct Refuse {
  std::uint32_t protocol = kProtocolVersion;
  std::string reason;
};

struct Result {
  bool ok = false;
  std::string reason;
  std::uint64_t messages = 0;
  std::uint64_t cpu_ns = 0;
  std::uint64_t voluntary_switches = 0;
  std::uint64_t involuntary_switches = 0;
  int cpu = -1;
};

std::string encode(const Hello& hello);
std::string encode(const Welcome& welcome);
std::string encode(const Refuse& refuse);
std::string encode(const Result& result);
// Each throws ProtocolError (parse_hello: VersionMismatch first) with one line naming the
// field and its bad value.
Hello parse_hello(std::string_view body);
Welcome parse_welcome(std::string_view body);
Refuse parse_refuse(std::string_view body);
Result parse_result(std::string_view body);

}  // namespace ipcbench::wire
