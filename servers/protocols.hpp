// What a server does with the bytes a connection sent, for each workload: find whole requests, answer them.
#pragma once

#include <concepts>
#include <cstddef>
#include <span>
#include <string_view>

#include "servers/byte_queue.hpp"
#include "servers/kv_store.hpp"
#include "servers/kv_wire.hpp"

namespace ipcbench {

// The request at the front of the received bytes: whole (its length), partial (the length
// needed, or 0 when not known yet), malformed (answered by refuse(), then closed) or last
// (whole, and the connection closes once its answer is written: HTTP's "Connection: close").
struct Frame {
  enum class Cut : std::uint8_t { whole, partial, malformed, last };
  Cut cut;
  std::size_t bytes;
};

template <class P>
concept Protocol = requires(P& protocol, std::span<const std::byte> bytes, ByteQueue& out) {
  { protocol.frame(bytes) } -> std::same_as<Frame>;
  protocol.answer(bytes, out);  // bytes: one whole request
  protocol.refuse(bytes, out);  // bytes: everything received, its front malformed
  { P::kMaxRequestBytes } -> std::convertible_to<std::size_t>;
};

// Echo has no request boundaries: whatever arrived is returned, byte for byte, so a client
// may frame its requests as it likes (sockperf's, ours, a user's own).
struct EchoProtocol {
  static constexpr std::size_t kMaxRequestBytes = 4096;
  [[nodiscard]] Frame frame(std::span<const std::byte> bytes) const noexcept {
    return bytes.empty() ? Frame{Frame::Cut::partial, 0} : Frame{Frame::Cut::whole, bytes.size()};
  }
  void answer(std::span<const std::byte> request, ByteQueue& out) const { out.append(request); }
  void refuse(std::span<const std::byte>, ByteQueue&) const noexcept {}
};

class KvProtocol {
 public:
  static constexpr std::size_t kMaxRequestBytes = kv::kMaxFrameBytes;
  explicit KvProtocol(KvStore& store) noexcept : store_(store) {}

  [[nodiscard]] Frame frame(std::span<const std::byte> bytes) const noexcept {
    if (bytes.size() < kv::kHeaderBytes) return {Frame::Cut::partial, kv::kHeaderBytes};
    const kv::Header header = kv::read_header(bytes);
    if (!kv::well_formed_request(header)) return {Frame::Cut::malformed, 0};
    const std::size_t frame_bytes = header.frame_bytes();
    return {bytes.size() < frame_bytes ? Frame::Cut::partial : Frame::Cut::whole, frame_bytes};
  }

  void answer(std::span<const std::byte> request, ByteQueue& out) const {
    const kv::Header header = kv::read_header(request);
    const auto key_bytes = request.subspan(kv::kHeaderBytes, header.key_bytes);
    const std::string_view key(reinterpret_cast<const char*>(key_bytes.data()), key_bytes.size());
    const std::size_t reply_at = out.size();
    static_cast<void>(out.extend(kv::kHeaderBytes));
    kv::Status status = kv::Status::ok;
    switch (static_cast<kv::Op>(header.code)) {
      case kv::Op::get:
        if (!store_.get(key, [&out](std::size_t bytes) { return out.extend(bytes); })) status = kv::Status::not_found;
        break;
      case kv::Op::set:
        if (!store_.set(key, request.subspan(kv::kHeaderBytes + header.key_bytes))) status = kv::Status::full;
        break;
      case kv::Op::del:
        if (!store_.erase(key)) status = kv::Status::not_found;
        break;
    }
    const std::size_t value_bytes = out.size() - reply_at - kv::kHeaderBytes;
    kv::write_header(out.writable_from(reply_at), {kv::length_for(0, value_bytes), static_cast<std::uint8_t>(status), 0, header.id});
  }

  void refuse(std::span<const std::byte> bytes, ByteQueue& out) const {
    const std::uint64_t id = kv::read_header(bytes).id;
    kv::write_header(out.extend(kv::kHeaderBytes), {kv::length_for(0, 0), static_cast<std::uint8_t>(kv::Status::bad_request), 0, id});
  }

 private:
  KvStore& store_;
};

static_assert(Protocol<EchoProtocol>);
static_assert(Protocol<KvProtocol>);

}  // namespace ipcbench
