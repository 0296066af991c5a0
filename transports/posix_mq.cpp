// posix-mq's cold code: creating, naming and unlinking the queues, and the errors of send and receive.
#include "transports/posix_mq.hpp"

#include <fcntl.h>
#include <mqueue.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <fmt/format.h>
#include <fstream>
#include <system_error>

#include "harness/sys/io.hpp"
#include "harness/sys/private_name.hpp"

namespace ipcbench::posix_mq {
namespace {

constexpr long kQueueDepth = 2;
constexpr long kQueues = 2;
// What the kernel charges to RLIMIT_MSGQUEUE per message beyond its bytes (a msg_msg header
// and a priority tree node, about 90 B on 64-bit Linux), rounded up.
constexpr std::size_t kChargePerMessage = 128;

std::size_t msgsize_max() noexcept {
  std::ifstream sysctl("/proc/sys/fs/mqueue/msgsize_max");
  std::size_t bytes = 0;
  return sysctl >> bytes ? bytes : 0;
}

[[noreturn]] void throw_open_error(int error, const std::string& name, std::size_t message_bytes) {
  if (error == EMFILE || error == ENOMEM)
    throw fmt::system_error(error, "mq_open {} ({} B messages): the queues would exceed RLIMIT_MSGQUEUE (ulimit -q)",
                            name, message_bytes);
  if (error == EINVAL)
    throw fmt::system_error(error, "mq_open {}: {} B messages are above the sysctl fs.mqueue.msgsize_max ({} B)", name,
                            message_bytes, msgsize_max());
  throw fmt::system_error(error, "mq_open {}", name);
}

// One queue, opened to read and to write, its name already gone when this returns.
std::pair<sys::Fd, sys::Fd> open_queue(std::string_view direction, std::size_t message_bytes) {
  const std::string name = sys::private_ipc_name(direction);
  mq_attr attributes{};
  attributes.mq_maxmsg = kQueueDepth;
  attributes.mq_msgsize = static_cast<long>(message_bytes);
  const mqd_t reader = ::mq_open(name.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attributes);
  if (reader == static_cast<mqd_t>(-1)) throw_open_error(errno, name, message_bytes);
  sys::Fd read_end(reader);  // on Linux a queue descriptor is a file descriptor, closed by close()
  const mqd_t writer = ::mq_open(name.c_str(), O_WRONLY | O_CLOEXEC);
  const int open_error = errno;
  ::mq_unlink(name.c_str());
  if (writer == static_cast<mqd_t>(-1)) throw fmt::system_error(open_error, "mq_open {} to write", name);
  return {std::move(read_end), sys::Fd(writer)};
}

}  // namespace

MachineLimit message_limit() noexcept {
  const MachineLimit sysctl{msgsize_max(), "the sysctl fs.mqueue.msgsize_max"};
  rlimit queue_bytes{};
  if (::getrlimit(RLIMIT_MSGQUEUE, &queue_bytes) != 0 || queue_bytes.rlim_cur == RLIM_INFINITY) return sysctl;
  const std::size_t per_message = queue_bytes.rlim_cur / (kQueues * kQueueDepth);
  const std::size_t rlimit_bound = per_message - std::min(per_message, kChargePerMessage);
  return rlimit_bound < sysctl.max_payload_bytes ? MachineLimit{rlimit_bound, "RLIMIT_MSGQUEUE (ulimit -q)"} : sysctl;
}

void SendEmptyMessage::announce(int queue) noexcept {
  const timespec already_past{0, 0};
  [[maybe_unused]] const int sent = ::mq_timedsend(queue, "", 0, 0, &already_past);
}

void send(int queue, std::span<const std::byte> message) {
  while (::mq_send(queue, reinterpret_cast<const char*>(message.data()), message.size(), 0) != 0)
    if (errno != EINTR) [[unlikely]] throw fmt::system_error(errno, "mq_send of {} B", message.size());
}

void receive(int queue, std::span<std::byte> message) {
  for (;;) {
    const ssize_t got = ::mq_receive(queue, reinterpret_cast<char*>(message.data()), message.size(), nullptr);
    if (got == static_cast<ssize_t>(message.size())) [[likely]] return;
    if (got == 0) throw PeerClosed("the peer closed its message queue");
    if (got > 0) throw ProtocolError(fmt::format("a {} B message where {} B were expected", got, message.size()));
    if (errno != EINTR) throw fmt::system_error(errno, "mq_receive of {} B", message.size());
  }
}

Queues::Queues(std::size_t message_bytes) {
  std::tie(to_server_read, to_server_write) = open_queue("to-server", message_bytes);
  std::tie(to_client_read, to_client_write) = open_queue("to-client", message_bytes);
}

}  // namespace ipcbench::posix_mq
