// posix-mq: two POSIX message queues, one per direction.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <utility>

#include "harness/sys/announcing_fd.hpp"
#include "harness/sys/fd.hpp"
#include "harness/transport.hpp"

namespace ipcbench {
namespace posix_mq {

// The largest message this machine lets a run's two queues hold: the sysctl
// fs.mqueue.msgsize_max (8 KiB unless raised), or less where RLIMIT_MSGQUEUE cannot hold both
// queues' messages. 0 when the sysctl cannot be read.
MachineLimit message_limit() noexcept;

// A closing side sends an empty message: a message queue has no other end, so its peer
// learns of the close only if it is told. Never blocks (a full queue gets no mark).
struct SendEmptyMessage {
  static void announce(int queue) noexcept;
};

void send(int queue, std::span<const std::byte> message);
// An empty message is the peer's close: PeerClosed.
void receive(int queue, std::span<std::byte> message);

// Both queues of a pair, each opened once to read and once to write. Their names are per run
// and unpredictable, the queues created 0600 with O_EXCL and unlinked before the constructor
// returns: the descriptors are all either side needs, so no name is left to clean up.
struct Queues {
  explicit Queues(std::size_t message_bytes);
  sys::Fd to_server_read, to_server_write, to_client_read, to_client_write;
};

}  // namespace posix_mq

// mq_send() and a blocking mq_receive() of one whole message each way: the kernel copies the
// message into the queue and out of it, and wakes the receiver. A queue holds messages of
// exactly the cell's size, two at most (one in flight, room for the close mark).
class PosixMq {
 public:
  static constexpr TransportInfo kInfo{
      .name = "posix-mq",
      .mechanism = "two POSIX message queues, mq_send()/blocking mq_receive()",
      .max_payload_bytes = std::size_t{1} << 20,
      .machine_limit = &posix_mq::message_limit,
  };

  class Endpoint {
   public:
    Endpoint(sys::Fd in, sys::Fd out) noexcept : in_(std::move(in)), out_(std::move(out)) {}
    void send(std::span<const std::byte> message) { posix_mq::send(out_.get(), message); }
    void receive(std::span<std::byte> message) { posix_mq::receive(in_.get(), message); }

   private:
    sys::Fd in_;
    sys::AnnouncingFd<posix_mq::SendEmptyMessage> out_;
  };

  explicit PosixMq(const TransportSetup& setup) : queues_(setup.payload_bytes) {}
  // Plain descriptors until an endpoint takes them: a forked side drops the other's, and
  // that must not tell anyone it closed.
  [[nodiscard]] Endpoint client() noexcept { return {std::move(queues_.to_client_read), std::move(queues_.to_server_write)}; }
  [[nodiscard]] Endpoint server() noexcept { return {std::move(queues_.to_server_read), std::move(queues_.to_client_write)}; }

 private:
  posix_mq::Queues queues_;
};

}  // namespace ipcbench
