// The shared-memory loops: two sides spinning on sequence words (shm-spin's layout) or sleeping on them in a futex (shm-futex), Boost.Interprocess message queues (boost-mq), and one thread copying (memcpy).
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <atomic>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <memory>

#include "minimal.hpp"

namespace minimal {
namespace {

// Up to 64 bytes, 8-byte words: the header was just written with an 8-byte store, and a
// wider load over it cannot be forwarded from the store buffer. One jump into straight-line
// moves rather than a test per word. Above 64 bytes, memcpy. This is ipcbench's copy_message
// (harness/buffer.hpp) written again, as this program includes no harness code: change both.
// SIZE is at least 8 (main.cpp), so the switch has no other case.
[[gnu::always_inline]] inline void copy(char* destination, const char* source, std::size_t bytes) {
  const auto word = [&](std::size_t offset) {
    std::uint64_t value;
    std::memcpy(&value, source + offset, 8);
    asm("" : "+r"(value));  // keeps the vectoriser from merging the words
    std::memcpy(destination + offset, &value, 8);
  };
  if (bytes > 64) {
    std::memcpy(destination, source, bytes);
    return;
  }
  switch (bytes / 8) {
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
  if (bytes % 8 != 0) [[unlikely]] word(bytes - 8);
}

// A slot is its 8-byte signal word followed by the payload. When both slots fit in 32 bytes
// they share one cache line; otherwise each starts on a line of its own and spans as many
// lines as it needs: shm-spin's layout, so that the same number of lines moves each way.
std::size_t slot_stride(std::size_t size) { return 8 + size <= 32 ? 32 : (8 + size + 63) / 64 * 64; }

// The waiter polls the word, and yields between polls on one CPU.
template <bool kYield>
struct Spin {
  using Word = std::atomic<std::uint64_t>;
  static void notify(Word& word, std::uint64_t value) { word.store(value, std::memory_order_release); }
  static void wait_for(Word& word, std::uint64_t value) {
    while (word.load(std::memory_order_acquire) != value)
      if constexpr (kYield) sched_yield();
  }
};

// The waiter sleeps in FUTEX_WAIT after saying so; the notifier wakes it only if it said so.
struct Futex {
  struct Word {
    std::atomic<std::uint32_t> value{0};
    std::atomic<std::uint32_t> sleepers{0};
  };
  static void notify(Word& word, std::uint64_t value) {
    word.value.store(static_cast<std::uint32_t>(value));
    if (word.sleepers.load() != 0) syscall(SYS_futex, &word.value, FUTEX_WAKE, 1, nullptr, nullptr, 0);
  }
  static void wait_for(Word& word, std::uint64_t value) {
    const auto wanted = static_cast<std::uint32_t>(value);
    while (word.value.load(std::memory_order_acquire) != wanted) {
      word.sleepers.fetch_add(1);
      const std::uint32_t seen = word.value.load();
      if (seen != wanted) syscall(SYS_futex, &word.value, FUTEX_WAIT, seen, nullptr, nullptr, 0);
      word.sleepers.fetch_sub(1, std::memory_order_relaxed);
    }
  }
};

template <class Signal>
Figures hand_off(const Options& options) {
  static_assert(sizeof(typename Signal::Word) == 8);
  const std::size_t size = options.size;
  const std::size_t stride = slot_stride(size);
  void* mapping = mmap(nullptr, 2 * stride, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) die("mmap");
  char* const request = static_cast<char*>(mapping);
  char* const reply = request + stride;
  auto& request_sequence = *new (request) typename Signal::Word();
  auto& reply_sequence = *new (reply) typename Signal::Word();
  std::vector<char> client_message(size, 'x');
  std::uint64_t published = 0;
  const auto publish = [&](char* message) {
    copy(request + 8, untraced(message), size);
    Signal::notify(request_sequence, ++published);
  };
  const Figures figures = ping_pong(
      options,
      [&] {
        std::vector<char> message(size);
        for (std::uint64_t n = 1;; ++n) {
          Signal::wait_for(request_sequence, n);
          copy(message.data(), request + 8, size);
          char* const received = untraced(message.data());
          if (header_of(received) == kStop) return;
          set_header(received, ~header_of(received));
          copy(reply + 8, untraced(message.data()), size);
          Signal::notify(reply_sequence, n);
        }
      },
      [&](std::uint64_t sequence) {
        set_header(client_message.data(), sequence);
        publish(client_message.data());
        Signal::wait_for(reply_sequence, published);
        copy(client_message.data(), reply + 8, size);
        check_reply(untraced(client_message.data()), sequence);
      },
      [&] {
        set_header(client_message.data(), kStop);
        publish(client_message.data());
      });
  munmap(mapping, 2 * stride);
  return figures;
}

// Two queues of two messages, named for this process and removed once made: a forked server
// inherits the mappings. The stop is the kStop header, as in every loop here.
Figures boost_queues(const Options& options) {
  namespace bip = boost::interprocess;
  const std::size_t size = options.size;
  const auto queue = [size](const char* direction) {
    const std::string name = "ipcbench_minimal-" + std::to_string(getpid()) + "-" + direction;
    auto made = std::make_unique<bip::message_queue>(bip::create_only, name.c_str(), 2, size, bip::permissions(0600));
    bip::message_queue::remove(name.c_str());
    return made;
  };
  const auto to_server = queue("to-server"), to_client = queue("to-client");
  const auto receive = [size](bip::message_queue& q, char* message) {
    bip::message_queue::size_type received = 0;
    unsigned int priority = 0;
    q.receive(message, size, received, priority);
    if (received != size) die("message_queue::receive");
  };
  std::vector<char> client_message(size, 'x');
  return ping_pong(
      options,
      [&] {
        std::vector<char> message(size);
        for (;;) {
          receive(*to_server, message.data());
          if (header_of(message.data()) == kStop) return;
          set_header(message.data(), ~header_of(message.data()));
          to_client->send(message.data(), size, 0);
        }
      },
      [&](std::uint64_t sequence) {
        set_header(client_message.data(), sequence);
        to_server->send(client_message.data(), size, 0);
        receive(*to_client, client_message.data());
        check_reply(client_message.data(), sequence);
      },
      [&] {
        set_header(client_message.data(), kStop);
        to_server->send(client_message.data(), size, 0);
      });
}

}  // namespace

// Two spinners on one CPU would hand over once per scheduler tick: there they yield.
Figures run_shared_memory_loop(const Options& options) {
  if (options.mechanism == "shm-futex") return hand_off<Futex>(options);
  if (options.mechanism == "boost-mq") return boost_queues(options);
  return options.one_cpu() ? hand_off<Spin<true>>(options) : hand_off<Spin<false>>(options);
}

// One thread: the request is copied into a buffer, answered there, and copied back, each step
// reading what the step before it wrote from memory, as two sides would (without that the
// compiler carried the whole round trip at 8 B in registers).
Figures run_copy_loop(const Options& options) {
  std::vector<char> message(options.size, 'x'), buffer(options.size);
  pin(options.client_cpu);
  return measure(options.round_trips, [&](std::uint64_t sequence) {
    set_header(message.data(), sequence);
    copy(buffer.data(), untraced(message.data()), options.size);
    char* const request = untraced(buffer.data());
    set_header(request, ~header_of(request));
    copy(message.data(), untraced(buffer.data()), options.size);
    asm volatile("" : : "r"(message.data()), "r"(buffer.data()) : "memory");  // the copies are not dead
    check_reply(message.data(), sequence);
  });
}

}  // namespace minimal
