// MessageBuffer: a cache-line aligned byte buffer allocated once, before anything is timed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <span>

namespace ipcbench {

class MessageBuffer {
 public:
  explicit MessageBuffer(std::size_t bytes)
      : size_(bytes), data_(static_cast<std::byte*>(std::aligned_alloc(64, round_up(bytes)))) {
    if (!data_) throw std::bad_alloc();
    std::memset(data_.get(), 0, round_up(bytes));  // touch every page now, not in the loop
  }
  [[nodiscard]] std::span<std::byte> bytes() const noexcept { return {data_.get(), size_}; }

 private:
  static std::size_t round_up(std::size_t bytes) noexcept { return (bytes + 63) / 64 * 64; }
  struct Free {
    void operator()(std::byte* p) const noexcept { std::free(p); }
  };
  std::size_t size_;
  std::unique_ptr<std::byte, Free> data_;
};

// Copies a message. Up to 64 bytes it moves 8-byte words the compiler inlines: a call to
// memcpy with a run-time size costs more than such a copy, and a wider load that spans the
// header just written with an 8-byte store cannot be forwarded from the store buffer and
// stalls, twice per round trip. Either would be counted against every transport that copies.
inline void copy_message(std::byte* destination, const std::byte* source, std::size_t bytes) noexcept {
  const auto word = [&](std::size_t offset) {
    std::uint64_t value;
    std::memcpy(&value, source + offset, 8);
    asm("" : "+r"(value));  // or the vectorizer merges words into 16-byte moves that stall
    std::memcpy(destination + offset, &value, 8);
  };
  if (bytes >= 8 && bytes <= 64) [[likely]] {
    switch (bytes / 8) {  // one jump into straight-line moves, not a test per word
      case 8: word(56); [[fallthrough]];
      case 7: word(48); [[fallthrough]];
      case 6: word(40); [[fallthrough]];
      case 5: word(32); [[fallthrough]];
      case 4: word(24); [[fallthrough]];
      case 3: word(16); [[fallthrough]];
      case 2: word(8); [[fallthrough]];
      case 1: word(0); break;
      default: __builtin_unreachable();
    }
    if (bytes % 8 != 0) [[unlikely]] word(bytes - 8);  // the tail, overlapping the last whole word
  } else if (bytes > 64) {
    std::memcpy(destination, source, bytes);
  } else {
    for (std::size_t i = 0; i < bytes; ++i) destination[i] = source[i];
  }
}

// The same pointer, from where the compiler cannot trace it: what is read through it is
// loaded from memory, not taken from the registers it was just stored from.
// (ipcbench_minimal has its own copy of this and of copy_message: change both.)
template <class T>
[[nodiscard]] inline T* untraced(T* pointer) noexcept {
  asm("" : "+r"(pointer));
  return pointer;
}

// Keeps the compiler from proving a copy useless and deleting it (memcpy into a buffer that
// is copied straight back is otherwise a no-op to the optimiser). The "memory" clobber makes
// every value the loop keeps in memory be stored and reloaded around it, so a loop should
// need one per round trip, not one per copy.
inline void escape(const void* first, const void* second) noexcept {
  asm volatile("" : : "r"(first), "r"(second) : "memory");
}

}  // namespace ipcbench
