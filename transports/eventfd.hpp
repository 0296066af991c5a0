// eventfd: the shared-memory channel with an eventfd per direction as its doorbell.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <utility>

#include "harness/sys/announcing_fd.hpp"
#include "harness/sys/fd.hpp"
#include "transports/shm_channel.hpp"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace ipcbench {
namespace eventfd_detail {

// What a closing side adds to its peer's doorbell: far above the 1 that a message adds, so
// the peer can tell "message", "closed" and "message, then closed" apart.
inline constexpr std::uint64_t kClosedMark = std::uint64_t{1} << 32;

struct AddClosedMark {
  // The counter is far below its limit, so this write never blocks; errors are moot here.
  static void announce(int fd) noexcept {
    const std::uint64_t mark = kClosedMark;
    [[maybe_unused]] const ssize_t written = ::write(fd, &mark, sizeof mark);
  }
};

sys::Fd open_eventfd();
sys::Fd duplicate(const sys::Fd& fd);
void ring(int fd);
std::uint64_t take(int fd);
// A count other than one message: the peer closed (PeerClosed), or it closed right after a
// message (delivered, and the mark put back for the next receive).
void on_unusual_count(int fd, std::uint64_t count);

}  // namespace eventfd_detail

// The payload crosses in the mapping; send() adds 1 to the peer's eventfd after the copy,
// receive() blocks in read() of its own eventfd before it. The eventfd's counter is updated
// and read under the kernel's lock, whose release/acquire orders the slot bytes as a mutex
// hand-off would, and both calls are opaque to the compiler. A closing side rings its peer
// with kClosedMark, the only way a thread-mode peer can see it go (an eventfd has no other
// end).
class EventfdSignal {
 public:
  static constexpr TransportInfo kInfo{
      .name = "eventfd",
      .mechanism = "shared-memory payload, eventfd doorbells with blocking read()",
      .max_payload_bytes = kShmMaxPayloadBytes,
  };
  struct Slot {};

  class Side {
   public:
    Side(sys::Fd peer_doorbell, sys::Fd own_doorbell) noexcept
        : peer_(std::move(peer_doorbell)), own_(std::move(own_doorbell)) {}
    void notify(Slot& slot, std::uint64_t /*sequence*/) {
      published(&slot);
      eventfd_detail::ring(peer_.get());
    }
    void wait(Slot& slot, std::uint64_t /*sequence*/) {
      const std::uint64_t count = eventfd_detail::take(own_.get());
      if (count != 1) [[unlikely]] eventfd_detail::on_unusual_count(own_.get(), count);
      consumed(&slot);
    }

   private:
    // ThreadSanitizer cannot see that the eventfd orders the slot: tell it (no code otherwise).
    static void published([[maybe_unused]] Slot* slot) noexcept {
#if defined(__SANITIZE_THREAD__)
      __tsan_release(slot);
#endif
    }
    static void consumed([[maybe_unused]] Slot* slot) noexcept {
#if defined(__SANITIZE_THREAD__)
      __tsan_acquire(slot);
#endif
    }
    sys::AnnouncingFd<eventfd_detail::AddClosedMark> peer_;
    sys::Fd own_;
  };

  explicit EventfdSignal(const TransportSetup& /*setup*/)
      : to_server_(eventfd_detail::open_eventfd()),
        to_server_copy_(eventfd_detail::duplicate(to_server_)),
        to_client_(eventfd_detail::open_eventfd()),
        to_client_copy_(eventfd_detail::duplicate(to_client_)) {}
  [[nodiscard]] Side client_side() noexcept { return {std::move(to_server_), std::move(to_client_)}; }
  [[nodiscard]] Side server_side() noexcept { return {std::move(to_client_copy_), std::move(to_server_copy_)}; }

 private:
  // Each eventfd is rung by one side and waited on by the other: one descriptor for each.
  sys::Fd to_server_;
  sys::Fd to_server_copy_;
  sys::Fd to_client_;
  sys::Fd to_client_copy_;
};

using Eventfd = ShmChannel<EventfdSignal>;

}  // namespace ipcbench
