// io_uring's transfers: prepare, submit and wait in one call, and what each completion means.
#include "transports/io_uring.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <fmt/format.h>
#include <system_error>

#include "harness/sys/io.hpp"

namespace ipcbench::io_uring_detail {
namespace {

// Submits the one prepared entry and returns its completion's result.
int complete(io_uring* ring, const char* what) {
  for (;;) {
    const int submitted = io_uring_submit_and_wait(ring, 1);
    if (submitted >= 0) break;
    if (submitted != -EINTR) throw std::system_error(-submitted, std::generic_category(), "io_uring_submit_and_wait");
    if (io_uring_sq_ready(ring) == 0) break;  // submitted before the signal came: only wait
  }
  io_uring_cqe* completion = nullptr;
  int waited = 0;
  while ((waited = io_uring_wait_cqe(ring, &completion)) == -EINTR) {
  }
  if (waited < 0) throw std::system_error(-waited, std::generic_category(), fmt::format("io_uring_wait_cqe for {}", what));
  const int result = completion->res;
  io_uring_cqe_seen(ring, completion);
  return result;
}

// A transfer's result: the bytes moved, 0 for a retry, or an exception (0 from recv is the end of file).
std::size_t moved(int result, const char* what) {
  if (result > 0) [[likely]] return static_cast<std::size_t>(result);
  if (result == 0 || result == -EPIPE || result == -ECONNRESET) throw PeerClosed(fmt::format("the peer closed ({})", what));
  if (result == -EINTR || result == -EAGAIN) return 0;
  throw std::system_error(-result, std::generic_category(), what);
}

}  // namespace

void receive_exact(io_uring* ring, int socket, std::span<std::byte> message) {
  for (std::size_t done = 0; done < message.size();) {
    io_uring_prep_recv(io_uring_get_sqe(ring), socket, message.data() + done, message.size() - done, 0);
    done += moved(complete(ring, "recv"), "recv");
  }
}

void send_exact(io_uring* ring, int socket, std::span<const std::byte> message) {
  for (std::size_t done = 0; done < message.size();) {
    io_uring_prep_send(io_uring_get_sqe(ring), socket, message.data() + done, message.size() - done, MSG_NOSIGNAL);
    const int result = complete(ring, "send");
    if (result == 0) [[unlikely]] throw std::system_error(EIO, std::generic_category(), "io_uring send moved no bytes");
    done += moved(result, "send");
  }
}

}  // namespace ipcbench::io_uring_detail
