// eventfd: the payload crosses in anonymous shared memory, an eventfd per direction rings the doorbell.
#pragma once

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fmt/format.h>
#include <memory>
#include <span>
#include <utility>

#include "harness/sys/fd.hpp"
#include "harness/sys/io.hpp"
#include "harness/sys/mapping.hpp"
#include "harness/transport.hpp"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace ipcbench {

inline constexpr std::size_t kEventfdSlotBytes = std::size_t{1} << 20;

// One message slot per direction, each starting on its own cache line.
struct EventfdSlots {
  alignas(64) std::byte to_server[kEventfdSlotBytes];
  alignas(64) std::byte to_client[kEventfdSlotBytes];
};
static_assert(alignof(EventfdSlots) == 64 && offsetof(EventfdSlots, to_client) % 64 == 0,
              "each slot must start on its own cache line");

namespace eventfd_detail {

// What a closing endpoint adds to its peer's doorbell: far above the 1 that a message adds,
// so the peer can tell "message", "closed" and "message, then closed" apart.
inline constexpr std::uint64_t kClosedMark = std::uint64_t{1} << 32;

inline sys::Fd open_eventfd() {
  sys::Fd fd(::eventfd(0, EFD_CLOEXEC));
  if (!fd) throw fmt::system_error(errno, "eventfd");
  return fd;
}

inline sys::Fd duplicate(const sys::Fd& fd) {
  sys::Fd copy(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
  if (!copy) throw fmt::system_error(errno, "fcntl(F_DUPFD_CLOEXEC) on eventfd {}", fd.get());
  return copy;
}

// Returns false on EINTR (retry), throws on anything else.
inline bool add(int fd, std::uint64_t value) {
  if (::write(fd, &value, sizeof value) == static_cast<ssize_t>(sizeof value)) [[likely]] return true;
  if (errno == EINTR) return false;
  throw fmt::system_error(errno, "write(eventfd {})", fd);
}

// Blocks until the counter is non-zero and takes it all.
inline std::uint64_t take(int fd) {
  std::uint64_t count = 0;
  while (::read(fd, &count, sizeof count) != static_cast<ssize_t>(sizeof count)) [[unlikely]] {
    if (errno != EINTR) throw fmt::system_error(errno, "read(eventfd {})", fd);
  }
  return count;
}

// A count other than one message. "Message, then closed" delivers the message and puts the
// mark back, so that the next receive() reports the close instead of blocking for ever.
inline void on_unusual_count(int fd, std::uint64_t count) {
  if (count == kClosedMark) throw PeerClosed(fmt::format("the eventfd peer closed (eventfd {})", fd));
  if (count == kClosedMark + 1) {
    while (!add(fd, kClosedMark)) {
    }
    return;
  }
  throw ProtocolError(fmt::format("eventfd {} counted {} messages where one was expected", fd, count));
}

// ThreadSanitizer cannot see that the eventfd orders the slot: tell it (no code otherwise).
inline void published(const std::byte* slot) noexcept {
#if defined(__SANITIZE_THREAD__)
  __tsan_release(const_cast<std::byte*>(slot));
#else
  (void)slot;
#endif
}
inline void consumed(const std::byte* slot) noexcept {
#if defined(__SANITIZE_THREAD__)
  __tsan_acquire(const_cast<std::byte*>(slot));
#else
  (void)slot;
#endif
}

[[noreturn]] inline void throw_too_large(std::size_t bytes) {
  throw ProtocolError(fmt::format("a {}-byte message does not fit the {}-byte eventfd slot", bytes, kEventfdSlotBytes));
}

// The descriptor this side rings; closing it tells the peer, which has no other way to see
// a thread-mode peer go away (an eventfd has no "other end").
class Ringer {
 public:
  explicit Ringer(sys::Fd fd) noexcept : fd_(std::move(fd)) {}
  Ringer(Ringer&&) noexcept = default;
  Ringer& operator=(Ringer&& other) noexcept {
    if (this != &other) {
      announce_close();
      fd_ = std::move(other.fd_);
    }
    return *this;
  }
  ~Ringer() { announce_close(); }

  void ring() {
    while (!add(fd_.get(), 1)) {
    }
  }

 private:
  void announce_close() noexcept {
    // The counter is far below its limit, so this write never blocks; errors are moot here.
    if (!fd_) return;
    const std::uint64_t mark = kClosedMark;
    [[maybe_unused]] const ssize_t written = ::write(fd_.get(), &mark, sizeof mark);
  }
  sys::Fd fd_;
};

}  // namespace eventfd_detail

// Shared-memory payload (two 1 MiB slots, anonymous mapping inherited across fork) and two
// eventfds (EFD_CLOEXEC) as doorbells: send() copies into the outgoing slot and adds 1 to the
// peer's eventfd; receive() blocks in read() of its own eventfd, then copies out. Max payload:
// one slot. A closing endpoint adds kClosedMark to its peer's doorbell: PeerClosed there.
class Eventfd {
 public:
  static constexpr TransportInfo kInfo{
      .name = "eventfd",
      .mechanism = "shared-memory payload, eventfd doorbells with blocking read()",
      .max_payload_bytes = kEventfdSlotBytes,
      .wait = WaitKind::block,
  };

  // Ordering: the writer fills the slot before write() adds to the eventfd counter, and the
  // reader copies the slot only after read() has taken that count. The counter is updated and
  // read under the eventfd's own lock in the kernel, whose release/acquire orders the slot
  // bytes as a mutex hand-off would; and both calls are opaque to the compiler, which must
  // assume they touch the (escaped) mapping, so it cannot move the copies across them.
  class Endpoint {
   public:
    Endpoint(std::shared_ptr<sys::Shared<EventfdSlots>> slots, std::byte* outgoing, const std::byte* incoming,
             sys::Fd outgoing_doorbell, sys::Fd incoming_doorbell) noexcept
        : slots_(std::move(slots)),
          outgoing_(outgoing),
          incoming_(incoming),
          ringer_(std::move(outgoing_doorbell)),
          doorbell_(std::move(incoming_doorbell)) {}

    void send(std::span<const std::byte> message) {
      if (message.size() > kEventfdSlotBytes) [[unlikely]] eventfd_detail::throw_too_large(message.size());
      std::memcpy(outgoing_, message.data(), message.size());
      eventfd_detail::published(outgoing_);
      ringer_.ring();
    }
    void receive(std::span<std::byte> message) {
      if (message.size() > kEventfdSlotBytes) [[unlikely]] eventfd_detail::throw_too_large(message.size());
      const std::uint64_t count = eventfd_detail::take(doorbell_.get());
      if (count != 1) [[unlikely]] eventfd_detail::on_unusual_count(doorbell_.get(), count);
      eventfd_detail::consumed(incoming_);
      std::memcpy(message.data(), incoming_, message.size());
    }

   private:
    std::shared_ptr<sys::Shared<EventfdSlots>> slots_;  // keeps the mapping alive in a forked child
    std::byte* outgoing_;
    const std::byte* incoming_;
    eventfd_detail::Ringer ringer_;  // the peer's doorbell
    sys::Fd doorbell_;               // this side's doorbell
  };

  explicit Eventfd(const TransportSetup&)
      : slots_(std::make_shared<sys::Shared<EventfdSlots>>()),
        to_server_(eventfd_detail::open_eventfd()),
        to_server_copy_(eventfd_detail::duplicate(to_server_)),
        to_client_(eventfd_detail::open_eventfd()),
        to_client_copy_(eventfd_detail::duplicate(to_client_)) {}

  [[nodiscard]] Endpoint client() noexcept {
    return Endpoint(slots_, (*slots_)->to_server, (*slots_)->to_client, std::move(to_server_), std::move(to_client_));
  }
  [[nodiscard]] Endpoint server() noexcept {
    return Endpoint(slots_, (*slots_)->to_client, (*slots_)->to_server, std::move(to_client_copy_),
                    std::move(to_server_copy_));
  }

 private:
  std::shared_ptr<sys::Shared<EventfdSlots>> slots_;
  // Each eventfd is rung by one side and waited on by the other: one descriptor for each.
  sys::Fd to_server_;
  sys::Fd to_server_copy_;
  sys::Fd to_client_;
  sys::Fd to_client_copy_;
};

}  // namespace ipcbench
