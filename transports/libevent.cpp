// The libevent endpoint: one event_base per side, its events created once, the loop run for each message.
#include "transports/libevent.hpp"

#include "harness/current_side.hpp"
#include "harness/sys/libevent_owners.hpp"
#include "harness/sys/socket.hpp"

#include <event2/event.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace ipcbench {
namespace {

using sys::EventBasePtr;
using sys::EventPtr;

// libevent exit()s on a few fatal errors, e.g. when it cannot make its internal socketpair
// because descriptors ran out: its last message becomes the side's reason instead of a bare
// "exited with status 1", and nothing is printed by libevent itself.
thread_local char g_last_message[200] = "";

void keep_message(int /*severity*/, const char* message) noexcept {
  fmt::format_to_n(g_last_message, sizeof g_last_message - 1, "{}", message).out[0] = '\0';
}

void fail_side(int /*error*/) noexcept { fail_current_side(fmt::format("libevent: {}", g_last_message)); }

void install_fatal_handlers() noexcept {
  static const bool installed = [] {
    event_set_log_callback(&keep_message);
    event_set_fatal_callback(&fail_side);
    return true;
  }();
  (void)installed;
}

[[noreturn]] void throw_loop_failed(int result) {
  if (result < 0) throw fmt::system_error(errno, "event_base_loop");
  throw std::logic_error("event_base_loop: no event pending while a transfer is unfinished");
}

}  // namespace

// The callbacks run inside event_base_loop(), a C frame: they never throw, they record what
// went wrong, and the endpoint's call throws once the loop has returned.
struct LibeventEndpoint::Loop {
  explicit Loop(sys::Fd fd) : socket(std::move(fd)) {
    sys::set_nonblocking(socket.get());
    install_fatal_handlers();
    base.reset(event_base_new());
    if (!base) throw std::runtime_error("libevent: event_base_new failed");
    read_event.reset(event_new(base.get(), socket.get(), EV_READ | EV_PERSIST, &Loop::on_readable, this));
    write_event.reset(event_new(base.get(), socket.get(), EV_WRITE | EV_PERSIST, &Loop::on_writable, this));
    if (!read_event || !write_event) throw std::runtime_error("libevent: event_new failed");
    if (event_add(read_event.get(), nullptr) != 0) throw std::runtime_error("libevent: event_add of the read event failed");
  }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
  ~Loop() = default;

  static void on_readable(evutil_socket_t fd, short /*what*/, void* arg) noexcept {
    Loop& loop = *static_cast<Loop*>(arg);
    if (loop.in_done == loop.in.size()) {
      // Readable while no receive() runs: EOF or a peer out of turn. Park the event until the
      // next receive(), or a level-triggered backend would call this again on every pass.
      event_del(loop.read_event.get());
      loop.read_parked = true;
      return;
    }
    const ssize_t n = ::recv(fd, loop.in.data() + loop.in_done, loop.in.size() - loop.in_done, 0);
    if (n > 0) {
      loop.in_done += static_cast<std::size_t>(n);
    } else if (n == 0) {
      loop.peer_closed = true;
    } else if (errno != EINTR && !tcp::would_block(errno)) {
      loop.error = errno;
      loop.failed_call = "recv";
    }
  }

  static void on_writable(evutil_socket_t fd, short /*what*/, void* arg) noexcept {
    Loop& loop = *static_cast<Loop*>(arg);
    if (loop.out_done < loop.out.size()) {
      const ssize_t n = ::send(fd, loop.out.data() + loop.out_done, loop.out.size() - loop.out_done, sys::kNoSigpipe);
      if (n >= 0) {
        loop.out_done += static_cast<std::size_t>(n);
      } else if (errno != EINTR && !tcp::would_block(errno)) {
        loop.error = errno;
        loop.failed_call = "send";
      }
    }
    if (loop.out_done == loop.out.size() || loop.error != 0) event_del(loop.write_event.get());
  }

  template <class Done>
  void run_until(Done done) {
    while (!done()) {
      const int result = event_base_loop(base.get(), EVLOOP_ONCE);
      if (error != 0 || peer_closed) [[unlikely]] throw_recorded_failure();
      if (result != 0) [[unlikely]] throw_loop_failed(result);
    }
  }

  [[noreturn]] void throw_recorded_failure() const {
    if (peer_closed) tcp::throw_peer_closed(socket.get(), in_done, in.size());
    tcp::throw_transfer_error(error, failed_call, socket.get());
  }

  // Destroyed bottom-up: the events, then their base, then the socket they watch.
  sys::Fd socket;
  EventBasePtr base;
  EventPtr read_event;   // persistent and added for the endpoint's life (unless parked)
  EventPtr write_event;  // persistent; added by send(), removed by its callback once flushed
  std::span<std::byte> in;
  std::size_t in_done = 0;
  std::span<const std::byte> out;
  std::size_t out_done = 0;
  bool read_parked = false;
  bool peer_closed = false;
  int error = 0;  // errno of a failed recv() or send()
  std::string_view failed_call;
};

LibeventEndpoint::LibeventEndpoint(sys::Fd socket) : loop_(std::make_unique<Loop>(std::move(socket))) {}
LibeventEndpoint::LibeventEndpoint(LibeventEndpoint&&) noexcept = default;
LibeventEndpoint& LibeventEndpoint::operator=(LibeventEndpoint&&) noexcept = default;
LibeventEndpoint::~LibeventEndpoint() = default;

void LibeventEndpoint::send(std::span<const std::byte> message) {
  Loop& loop = *loop_;
  loop.out = message;
  loop.out_done = 0;
  if (message.empty()) return;
  if (event_add(loop.write_event.get(), nullptr) != 0) [[unlikely]]
    throw std::runtime_error("libevent: event_add of the write event failed");
  loop.run_until([&loop] { return loop.out_done == loop.out.size(); });
}

void LibeventEndpoint::receive(std::span<std::byte> message) {
  Loop& loop = *loop_;
  loop.in = message;
  loop.in_done = 0;
  if (loop.read_parked) [[unlikely]] {
    if (event_add(loop.read_event.get(), nullptr) != 0) throw std::runtime_error("libevent: event_add of the read event failed");
    loop.read_parked = false;
  }
  loop.run_until([&loop] { return loop.in_done == loop.in.size(); });
}

}  // namespace ipcbench
