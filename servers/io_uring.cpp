// The `io_uring` server: a table of connections addressed by slot and generation, and one loop that submits and reaps.
#include "servers/io_uring.hpp"

#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <span>
#include <system_error>
#include <utility>
#include <vector>

#include "harness/sys/fd.hpp"
#include "harness/sys/uring.hpp"
#include "servers/request_buffers.hpp"

namespace ipcbench {
namespace {

using sys::Ring;

// What a completion is for. Its user_data is the operation, and for recv and send the
// connection's slot and generation: a slot is reused only after every operation on it
// completed, and the generation makes a completion for an earlier occupant recognisable.
enum class Op : std::uint8_t { none, stop, accept, accept_retry, grace, cancel, recv, send };

constexpr std::uint32_t kGenerationMask = 0xffffff;

constexpr std::uint64_t tag(Op op, std::uint32_t slot = 0, std::uint32_t generation = 0) noexcept {
  return std::uint64_t{static_cast<std::uint8_t>(op)} << 56 | std::uint64_t{generation & kGenerationMask} << 32 | slot;
}
constexpr Op op_of(std::uint64_t user_data) noexcept { return static_cast<Op>(user_data >> 56); }
constexpr std::uint32_t slot_of(std::uint64_t user_data) noexcept { return static_cast<std::uint32_t>(user_data); }
constexpr std::uint32_t generation_of(std::uint64_t user_data) noexcept {
  return static_cast<std::uint32_t>(user_data >> 32) & kGenerationMask;
}

struct Completion {
  std::uint64_t user_data;
  std::int32_t result;
  std::uint32_t flags;
};

struct UringConnection {
  sys::Fd fd;  // empty: the slot is free
  RequestBuffers buffers;
  std::uint32_t generation = 0;
  Op in_flight = Op::none;  // recv or send: at most one at a time
};

constexpr __kernel_timespec timespec_of(std::chrono::nanoseconds duration) noexcept {
  return {std::chrono::duration_cast<std::chrono::seconds>(duration).count(), (duration % std::chrono::seconds(1)).count()};
}

template <Protocol P>
class UringLoop {
 public:
  UringLoop(const ServeContext& context, P& protocol) : context_(context), protocol_(protocol), ring_(kRingEntries) {}

  // Serves until the stop descriptor is readable, then until every operation has completed.
  void run() {
    submit(tag(Op::stop), [this](io_uring_sqe* sqe) { io_uring_prep_poll_add(sqe, context_.stop_fd(), POLLIN); });
    arm_accept();
    while (in_flight_ > 0) {
      const int result = io_uring_submit_and_wait(ring_.get(), 1);
      if (result < 0 && result != -EINTR && result != -EAGAIN && result != -EBUSY) [[unlikely]]
        throw std::system_error(-result, std::generic_category(), "io_uring_submit_and_wait");
      reap();
      // By index and by value: handling one may reap more onto the end.
      for (std::size_t i = 0; i < completions_.size(); ++i) handle(completions_[i]);
      completions_.clear();
    }
  }

 private:
  static constexpr unsigned kRingEntries = 4096;

  template <class Prepare>
  void submit(std::uint64_t user_data, Prepare prepare) {
    io_uring_sqe* sqe;
    while ((sqe = io_uring_get_sqe(ring_.get())) == nullptr) {
      // The submission queue is full: hand it to the kernel. -EBUSY: the completion queue is
      // what is full; its entries are set aside for the loop, then the submission retried.
      const int result = io_uring_submit(ring_.get());
      if (result == -EBUSY || result == -EAGAIN) reap();
      else if (result < 0 && result != -EINTR) throw std::system_error(-result, std::generic_category(), "io_uring_submit");
    }
    prepare(sqe);
    io_uring_sqe_set_data64(sqe, user_data);
    ++in_flight_;
  }

  void reap() {
    std::array<io_uring_cqe*, 256> cqes;
    for (unsigned n; (n = io_uring_peek_batch_cqe(ring_.get(), cqes.data(), cqes.size())) > 0;) {
      for (unsigned i = 0; i < n; ++i) completions_.push_back({cqes[i]->user_data, cqes[i]->res, cqes[i]->flags});
      io_uring_cq_advance(ring_.get(), n);
    }
  }

  void handle(Completion c) {
    const Op op = op_of(c.user_data);
    if (op == Op::accept) return accepted(c);
    --in_flight_;
    switch (op) {
      case Op::stop: begin_stop(); break;
      case Op::accept_retry:
        if (!stopping_) arm_accept();
        break;
      case Op::grace:
        if (c.result == -ETIME) {
          grace_over_ = true;
          cancel_in_flight(Op::send);
        }
        break;
      case Op::recv:
      case Op::send: transferred(c); break;
      default: break;  // a cancel's own completion
    }
  }

  void arm_accept() {
    accepting_ = true;
    submit(tag(Op::accept), [this](io_uring_sqe* sqe) {
      if (multishot_) io_uring_prep_multishot_accept(sqe, context_.listener(), nullptr, nullptr, SOCK_CLOEXEC);
      else io_uring_prep_accept(sqe, context_.listener(), nullptr, nullptr, SOCK_CLOEXEC);
    });
  }

  void accepted(Completion c) {
    if ((c.flags & IORING_CQE_F_MORE) == 0) {
      --in_flight_;
      accepting_ = false;
    }
    if (c.result >= 0) {
      open(sys::Fd(c.result));
    } else if (c.result == -EINVAL && multishot_) {
      multishot_ = false;  // before Linux 5.19: one accept per submission
    } else if (c.result == -EINVAL) {
      throw std::system_error(EINVAL, std::generic_category(), "io_uring accept");
    } else if (c.result == -EMFILE || c.result == -ENFILE || c.result == -ENOBUFS || c.result == -ENOMEM) {
      // Out of descriptors: accepting again at once would spin; connections wait in the backlog.
      if (!accepting_ && !stopping_)
        submit(tag(Op::accept_retry), [this](io_uring_sqe* sqe) { io_uring_prep_timeout(sqe, &accept_retry_, 0, 0); });
      return;
    }
    if (!accepting_ && !stopping_) arm_accept();
  }

  void open(sys::Fd fd) {
    context_.counters().on_accept();
    if (stopping_) {  // accepted as the stop came: closed unserved
      context_.counters().on_close();
      return;
    }
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::uint32_t slot;
    if (free_.empty()) {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    slots_[slot].fd = std::move(fd);
    ++open_;
    advance(slot);
  }

  // Nothing is in flight on the connection: send what is unsent, else read, else close.
  void advance(std::uint32_t slot) {
    UringConnection& c = slots_[slot];
    if (grace_over_) return close(slot);
    const std::span<const std::byte> unsent = c.buffers.unsent();
    if (!unsent.empty()) {
      c.in_flight = Op::send;
      submit(tag(Op::send, slot, c.generation), [&](io_uring_sqe* sqe) {
        io_uring_prep_send(sqe, c.fd.get(), unsent.data(), unsent.size(), MSG_NOSIGNAL);
      });
      return;
    }
    if (stopping_ || c.buffers.closing()) return close(slot);
    // Never empty here: nothing is unsent and no request was refused.
    const std::span<std::byte> space = c.buffers.read_space();
    c.in_flight = Op::recv;
    submit(tag(Op::recv, slot, c.generation),
           [&](io_uring_sqe* sqe) { io_uring_prep_recv(sqe, c.fd.get(), space.data(), space.size(), 0); });
  }

  void transferred(Completion c) {
    const std::uint32_t slot = slot_of(c.user_data);
    UringConnection& conn = slots_[slot];
    if (!conn.fd || (conn.generation & kGenerationMask) != generation_of(c.user_data)) [[unlikely]]
      return;  // stale; cannot happen while a slot is freed only with nothing in flight
    const Op op = std::exchange(conn.in_flight, Op::none);
    const bool retry = c.result == -EINTR || c.result == -EAGAIN;
    if (op == Op::recv) {
      if (stopping_) return close(slot);  // read nothing more, even what this recv brought
      if (c.result > 0) {
        conn.buffers.received(static_cast<std::size_t>(c.result));
        // A recv is submitted only while nothing was refused, so this refusal is new.
        if (!conn.buffers.answer_all(protocol_)) context_.counters().on_refuse();
      } else if (!retry) {
        return close(slot);  // EOF, reset or another error: this connection only
      }
    } else if (c.result > 0) {
      conn.buffers.sent(static_cast<std::size_t>(c.result));
    } else if (!retry) {
      return close(slot);  // EPIPE, ECONNRESET, or cancelled after the stop's grace
    }
    advance(slot);
  }

  void begin_stop() {
    stopping_ = true;
    if (accepting_)
      submit(tag(Op::cancel), [](io_uring_sqe* sqe) { io_uring_prep_cancel64(sqe, tag(Op::accept), 0); });
    cancel_in_flight(Op::recv);
    // Sends in flight finish, within the grace.
    if (open_ > 0) {
      grace_armed_ = true;
      submit(tag(Op::grace), [this](io_uring_sqe* sqe) { io_uring_prep_timeout(sqe, &grace_, 0, 0); });
    }
  }

  void cancel_in_flight(Op op) {
    for (std::uint32_t slot = 0; slot < slots_.size(); ++slot) {
      const UringConnection& c = slots_[slot];
      if (c.fd && c.in_flight == op)
        submit(tag(Op::cancel), [&](io_uring_sqe* sqe) { io_uring_prep_cancel64(sqe, tag(op, slot, c.generation), 0); });
    }
  }

  void close(std::uint32_t slot) {
    UringConnection& c = slots_[slot];
    c.fd.reset();
    c.buffers = RequestBuffers();
    ++c.generation;
    free_.push_back(slot);
    --open_;
    context_.counters().on_close();
    if (stopping_ && open_ == 0 && std::exchange(grace_armed_, false))
      submit(tag(Op::cancel), [](io_uring_sqe* sqe) { io_uring_prep_timeout_remove(sqe, tag(Op::grace), 0); });
  }

  const ServeContext& context_;
  P& protocol_;
  // Before the ring: the ring goes first, so the kernel is done with the buffers before they are freed.
  std::vector<UringConnection> slots_;
  std::vector<std::uint32_t> free_;
  std::vector<Completion> completions_;
  Ring ring_;
  // The kernel reads a timeout's duration when it is submitted; these outlive every submission.
  __kernel_timespec accept_retry_ = timespec_of(kAcceptBackoff);
  __kernel_timespec grace_ = timespec_of(ServeContext::kStopGrace);
  std::size_t in_flight_ = 0;  // submissions whose last completion has not been handled
  std::size_t open_ = 0;
  bool multishot_ = true;
  bool accepting_ = false;
  bool stopping_ = false;
  bool grace_armed_ = false;
  bool grace_over_ = false;
};

}  // namespace

template <Protocol P>
void IoUringServer::serve(const ServeContext& context, P& protocol) {
  UringLoop<P> loop(context, protocol);
  context.ready();
  loop.run();
}

template void IoUringServer::serve(const ServeContext&, EchoProtocol&);
template void IoUringServer::serve(const ServeContext&, KvProtocol&);
template void IoUringServer::serve(const ServeContext&, HttpProtocol&);

}  // namespace ipcbench
