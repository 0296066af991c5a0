// io_uring's loop: a Unix stream socketpair whose recv and send go through a ring of each side's own, one at a time.
#include <liburing.h>
#include <sys/socket.h>

#include <optional>

#include "minimal.hpp"

namespace minimal {
namespace {

// A side's ring, made by the thread that submits to it, after any fork.
class Ring {
 public:
  Ring() {
    if (io_uring_queue_init(4, &ring_, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN) < 0 &&
        io_uring_queue_init(4, &ring_, 0) < 0)
      die("io_uring_queue_init");
  }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() { io_uring_queue_exit(&ring_); }

  // Moves all n bytes, one submission at a time; false at end of file.
  bool all(bool receive, int fd, char* p, std::size_t n) {
    while (n > 0) {
      io_uring_sqe* entry = io_uring_get_sqe(&ring_);
      if (receive)
        io_uring_prep_recv(entry, fd, p, n, 0);
      else
        io_uring_prep_send(entry, fd, p, n, MSG_NOSIGNAL);
      io_uring_cqe* completion = nullptr;
      if (io_uring_submit_and_wait(&ring_, 1) < 0 || io_uring_wait_cqe(&ring_, &completion) < 0) die("io_uring");
      const int r = completion->res;
      io_uring_cqe_seen(&ring_, completion);
      if (r == 0 && receive) return false;
      if (r <= 0) die(receive ? "io_uring recv" : "io_uring send");
      p += r;
      n -= static_cast<std::size_t>(r);
    }
    return true;
  }

 private:
  io_uring ring_{};
};

}  // namespace

Figures run_uring_loop(const Options& options) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) die("socketpair");
  const std::size_t size = options.size;
  std::vector<char> client_message(size, 'x');
  std::optional<Ring> client_ring;  // made on the client's first round trip, on its CPU
  const auto client_ring_here = [&]() -> Ring& { return client_ring ? *client_ring : client_ring.emplace(); };
  const Figures figures = ping_pong(
      options,
      [&] {
        Ring ring;
        std::vector<char> message(size);
        while (ring.all(true, fds[1], message.data(), size) && header_of(message.data()) != kStop) {
          set_header(message.data(), ~header_of(message.data()));
          ring.all(false, fds[1], message.data(), size);
        }
      },
      [&](std::uint64_t sequence) {
        Ring& ring = client_ring_here();
        set_header(client_message.data(), sequence);
        ring.all(false, fds[0], client_message.data(), size);
        ring.all(true, fds[0], client_message.data(), size);
        check_reply(client_message.data(), sequence);
      },
      [&] {
        set_header(client_message.data(), kStop);
        client_ring_here().all(false, fds[0], client_message.data(), size);
      });
  close(fds[0]);
  close(fds[1]);
  return figures;
}

}  // namespace minimal
