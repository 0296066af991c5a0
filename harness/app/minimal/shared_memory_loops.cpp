// The loops with no kernel in them: two sides spinning on sequence words in shared memory (shm-spin's layout), and one thread copying (memcpy).
#include <sys/mman.h>

#include <atomic>

#include "minimal.hpp"

namespace minimal {
namespace {

// Up to 64 bytes, 8-byte words: the header was just written with an 8-byte store, and a
// wider load over it cannot be forwarded from the store buffer (the same reason ipcbench
// copies this way). Above 64 bytes, memcpy.
void copy(char* destination, const char* source, std::size_t bytes) {
  if (bytes > 64) {
    std::memcpy(destination, source, bytes);
    return;
  }
  std::size_t offset = 0;
  for (; offset + 8 <= bytes; offset += 8) {
    std::uint64_t word;
    std::memcpy(&word, source + offset, 8);
    asm("" : "+r"(word));  // keeps the vectoriser from merging the words
    std::memcpy(destination + offset, &word, 8);
  }
  if (offset != bytes) copy(destination + bytes - 8, source + bytes - 8, 8);
}

using Sequence = std::atomic<std::uint64_t>;

// A slot is its sequence word followed by the payload. When both slots fit in 32 bytes they
// share one cache line; otherwise each starts on a line of its own and spans as many lines
// as it needs: shm-spin's layout, so that the same number of lines moves each way.
std::size_t slot_stride(std::size_t size) { return 8 + size <= 32 ? 32 : (8 + size + 63) / 64 * 64; }

template <bool kYield>
void wait_for(const Sequence& word, std::uint64_t value) {
  while (word.load(std::memory_order_acquire) != value)
    if constexpr (kYield) sched_yield();
}

template <bool kYield>
Figures spin(const Options& options) {
  const std::size_t size = options.size;
  const std::size_t stride = slot_stride(size);
  void* mapping = mmap(nullptr, 2 * stride, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) die("mmap");
  char* const request = static_cast<char*>(mapping);
  char* const reply = request + stride;
  Sequence& request_sequence = *new (request) Sequence(0);
  Sequence& reply_sequence = *new (reply) Sequence(0);
  std::vector<char> client_message(size, 'x');
  std::uint64_t published = 0;
  const auto publish = [&](const char* message) {
    copy(request + 8, message, size);
    request_sequence.store(++published, std::memory_order_release);
  };
  const Figures figures = ping_pong(
      options,
      [&] {
        std::vector<char> message(size);
        for (std::uint64_t n = 1;; ++n) {
          wait_for<kYield>(request_sequence, n);
          copy(message.data(), request + 8, size);
          if (header_of(message.data()) == kStop) return;
          set_header(message.data(), ~header_of(message.data()));
          copy(reply + 8, message.data(), size);
          reply_sequence.store(n, std::memory_order_release);
        }
      },
      [&](std::uint64_t sequence) {
        set_header(client_message.data(), sequence);
        publish(client_message.data());
        wait_for<kYield>(reply_sequence, published);
        copy(client_message.data(), reply + 8, size);
        check_reply(client_message.data(), sequence);
      },
      [&] {
        set_header(client_message.data(), kStop);
        publish(client_message.data());
      });
  munmap(mapping, 2 * stride);
  return figures;
}

}  // namespace

// Two spinners on one CPU would hand over once per scheduler tick: there they yield.
Figures run_shared_memory_loop(const Options& options) {
  return options.one_cpu() ? spin<true>(options) : spin<false>(options);
}

// One thread: the request is copied into a buffer, answered there, and copied back.
Figures run_copy_loop(const Options& options) {
  std::vector<char> message(options.size, 'x'), buffer(options.size);
  pin(options.client_cpu);
  return measure(options.round_trips, [&](std::uint64_t sequence) {
    set_header(message.data(), sequence);
    copy(buffer.data(), message.data(), options.size);
    set_header(buffer.data(), ~header_of(buffer.data()));
    copy(message.data(), buffer.data(), options.size);
    asm volatile("" : : "r"(message.data()), "r"(buffer.data()) : "memory");  // the copies are not dead
    check_reply(message.data(), sequence);
  });
}

}  // namespace minimal
