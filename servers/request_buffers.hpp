// RequestBuffers: one server connection's unanswered input and unwritten replies, shared by every architecture.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>

#include "servers/byte_queue.hpp"
#include "servers/protocols.hpp"

namespace ipcbench {

// Nothing is allocated until the first read, so an idle connection costs only what its
// architecture keeps; that difference is what the memory-per-connection columns show.
class RequestBuffers {
 public:
  static constexpr std::size_t kReadChunkBytes = 4096;
  // Past this many unwritten bytes the connection stops reading: a peer that sends and never
  // reads fills its own socket buffers, not the server's memory.
  static constexpr std::size_t kMaxUnsentBytes = 256 * 1024;
  // A read takes at most a chunk (or the rest of one larger partial request), so that what a single
  // read can ask for is bounded too: 4 KiB of the smallest GETs (28 B) of the largest values
  // (64 KiB) is about 9 MiB of replies, the most a connection holds beyond kMaxUnsentBytes.

  // Where the next read goes; empty while too many replies wait or once a malformed
  // request was refused.
  [[nodiscard]] std::span<std::byte> read_space() {
    if (closing_ || out_.size() >= kMaxUnsentBytes) return {};
    const std::size_t wanted = std::max(kReadChunkBytes, needed_ > in_.size() ? needed_ - in_.size() : 0);
    return in_.space(wanted).first(wanted);
  }
  void received(std::size_t bytes) noexcept { in_.commit(bytes); }

  // Answers every whole request received; false when this call refused a malformed one.
  // Either way, once closing(): write what is unsent, then close.
  template <Protocol P>
  bool answer_all(P& protocol) {
    while (!closing_) {
      const Frame frame = next_request(protocol);
      if (frame.cut == Frame::Cut::partial) break;
      if (frame.cut == Frame::Cut::malformed) return false;
      protocol.answer(in_.data().first(frame.bytes), out_);
      consume(frame.bytes);
    }
    return true;
  }

  // For architectures that answer elsewhere (a worker pool): the next request's frame; a
  // malformed one is refused here. A whole (or last) request is in_data().first(frame.bytes)
  // until consume(frame.bytes); after a last one, nothing more is read.
  template <Protocol P>
  Frame next_request(P& protocol) {
    const Frame frame = protocol.frame(in_.data());
    if (frame.cut == Frame::Cut::partial) needed_ = std::min(frame.bytes, P::kMaxRequestBytes);
    if (frame.cut == Frame::Cut::last) closing_ = true;
    if (frame.cut == Frame::Cut::malformed) {
      protocol.refuse(in_.data(), out_);
      in_.consume(in_.size());
      closing_ = true;
    }
    return frame;
  }
  [[nodiscard]] std::span<const std::byte> in_data() const noexcept { return in_.data(); }
  void consume(std::size_t bytes) noexcept {
    in_.consume(bytes);
    needed_ = 0;
  }
  [[nodiscard]] ByteQueue& output() noexcept { return out_; }

  [[nodiscard]] std::span<const std::byte> unsent() const noexcept { return out_.data(); }
  void sent(std::size_t bytes) noexcept { out_.consume(bytes); }
  // A malformed request was refused, or the last one answered: once unsent() is empty, close.
  [[nodiscard]] bool closing() const noexcept { return closing_; }

 private:
  ByteQueue in_;
  ByteQueue out_;
  std::size_t needed_ = 0;  // a partial request's whole length, when its header said
  bool closing_ = false;
};

}  // namespace ipcbench
