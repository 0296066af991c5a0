// ByteQueue: bytes appended at the back and consumed from the front of one growable buffer, for a connection's input and output.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>
#include <vector>

namespace ipcbench {

class ByteQueue {
 public:
  [[nodiscard]] std::span<const std::byte> data() const noexcept { return {bytes_.data() + begin_, end_ - begin_}; }
  // The queued bytes from `offset` on, writable: for a header filled in after its body.
  [[nodiscard]] std::span<std::byte> writable_from(std::size_t offset) noexcept {
    return {bytes_.data() + begin_ + offset, end_ - begin_ - offset};
  }
  [[nodiscard]] std::size_t size() const noexcept { return end_ - begin_; }
  [[nodiscard]] bool empty() const noexcept { return begin_ == end_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return bytes_.size(); }

  void consume(std::size_t bytes) noexcept {
    begin_ += bytes;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // At least `bytes` of free space after the queued bytes (moving them to the front, or
  // growing, only when there is not): the free space, for a read to fill.
  [[nodiscard]] std::span<std::byte> space(std::size_t bytes) {
    if (bytes_.size() - end_ < bytes) {
      if (begin_ > 0) {
        std::memmove(bytes_.data(), bytes_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      }
      if (bytes_.size() - end_ < bytes) bytes_.resize(std::max(bytes_.size() * 2, end_ + bytes));
    }
    return {bytes_.data() + end_, bytes_.size() - end_};
  }
  void commit(std::size_t bytes) noexcept { end_ += bytes; }
  // `bytes` appended, to be written by the caller.
  [[nodiscard]] std::span<std::byte> extend(std::size_t bytes) {
    const std::span<std::byte> free = space(bytes);
    commit(bytes);
    return free.first(bytes);
  }
  void append(std::span<const std::byte> bytes) {
    if (!bytes.empty()) std::memcpy(extend(bytes.size()).data(), bytes.data(), bytes.size());
  }

 private:
  std::vector<std::byte> bytes_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace ipcbench
