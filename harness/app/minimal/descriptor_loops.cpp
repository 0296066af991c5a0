// The kernel's loops: blocking read()/write() (send()/recv() for UDP, mq_send()/mq_receive() for POSIX message queues) over tcp, udp, unix, pipe and posix-mq, the same four descriptors busy-polled, and eventfd doorbells over shared memory.
#include <arpa/inet.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <cerrno>

#include "minimal.hpp"

namespace minimal {
namespace {

// A call that would block on a non-blocking descriptor (the busy-poll loops) is tried again at once.
bool again(int error) { return error == EINTR || error == EAGAIN || error == EWOULDBLOCK; }

// Returns false at end of file (the peer is gone).
bool read_all(int fd, char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t r = read(fd, p, n);
    if (r <= 0) {
      if (r < 0 && again(errno)) continue;
      if (r == 0) return false;
      die("read");
    }
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w <= 0) {
      if (w < 0 && again(errno)) continue;
      die("write");
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

struct Ends {
  int client_in, client_out, server_in, server_out;
};

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

std::uint16_t bound_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) die("getsockname");
  return ntohs(a.sin_port);
}

Ends make_tcp() {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(0);
  if (bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(listener, 1) != 0) die("listen");
  const int client = socket(AF_INET, SOCK_STREAM, 0);
  a = loopback(bound_port(listener));
  if (connect(client, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) die("connect");
  const int server = accept(listener, nullptr, nullptr);
  close(listener);
  const int one = 1;
  setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return {client, client, server, server};
}

Ends make_udp() {
  const int c = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a = loopback(0);
  if (bind(c, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0)
    die("bind udp");
  sockaddr_in to_s = loopback(bound_port(s)), to_c = loopback(bound_port(c));
  if (connect(c, reinterpret_cast<sockaddr*>(&to_s), sizeof(to_s)) != 0 ||
      connect(s, reinterpret_cast<sockaddr*>(&to_c), sizeof(to_c)) != 0)
    die("connect udp");
  // Loopback does not drop a ping-pong's datagrams, but a client must not wait forever if it does.
  const timeval two_seconds{2, 0};
  if (setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof(two_seconds)) != 0) die("SO_RCVTIMEO");
  return {c, c, s, s};
}

Ends make_unix() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) die("socketpair");
  return {fds[0], fds[0], fds[1], fds[1]};
}

Ends make_pipe() {
  int to_server[2], to_client[2];
  if (pipe(to_server) != 0 || pipe(to_client) != 0) die("pipe");
  return {to_client[0], to_server[1], to_server[0], to_client[1]};
}

// Two queues of two messages of the cell's size, created 0600 under names of this process's
// own and unlinked at once: the descriptors are all the two sides need.
Ends make_message_queues(std::size_t size) {
  const auto queue = [size](const char* direction) {
    const std::string name = "/ipcbench_minimal-" + std::to_string(getpid()) + "-" + direction;
    mq_attr attributes{};
    attributes.mq_maxmsg = 2;
    attributes.mq_msgsize = static_cast<long>(size);
    const mqd_t q = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &attributes);
    if (q == static_cast<mqd_t>(-1)) die("mq_open (SIZE above the sysctl fs.mqueue.msgsize_max?)");
    mq_unlink(name.c_str());
    return q;
  };
  const mqd_t to_server = queue("to-server"), to_client = queue("to-client");
  return {to_client, to_server, to_server, to_client};
}

enum class Kind { stream, datagram, message_queue };

// Each side sends and receives whole messages: a stream loops over partial I/O, a datagram
// is one send() and one recv(), a queued message one mq_send() and one mq_receive().
Figures whole_messages(const Options& options, const Ends& ends, Kind kind) {
  const std::size_t size = options.size;
  const auto send_all = [&](int fd, const char* p) {
    if (kind == Kind::stream) return write_all(fd, p, size);
    if (kind == Kind::message_queue) {
      if (mq_send(fd, p, size, 0) != 0) die("mq_send");
      return;
    }
    ssize_t sent;
    while ((sent = send(fd, p, size, 0)) < 0 && again(errno)) {
    }
    if (sent != static_cast<ssize_t>(size)) die("send");
  };
  const auto receive_all = [&](int fd, char* p) {
    if (kind == Kind::stream) return read_all(fd, p, size);
    if (kind == Kind::message_queue) {
      if (mq_receive(fd, p, size, nullptr) != static_cast<ssize_t>(size)) die("mq_receive");
      return true;
    }
    ssize_t r;
    while ((r = recv(fd, p, size, 0)) < 0 && again(errno)) {
    }
    if (r != static_cast<ssize_t>(size)) die("recv");
    return true;
  };
  std::vector<char> client_message(size, 'x');
  return ping_pong(
      options,
      [&] {
        std::vector<char> message(size);
        while (receive_all(ends.server_in, message.data()) && header_of(message.data()) != kStop) {
          set_header(message.data(), ~header_of(message.data()));
          send_all(ends.server_out, message.data());
        }
      },
      [&](std::uint64_t sequence) {
        set_header(client_message.data(), sequence);
        send_all(ends.client_out, client_message.data());
        receive_all(ends.client_in, client_message.data());
        check_reply(client_message.data(), sequence);
      },
      [&] {
        set_header(client_message.data(), kStop);
        send_all(ends.client_out, client_message.data());
      });
}

// eventfd: the payload in a shared mapping, one slot per direction on lines of its own, and
// an eventfd per direction as the doorbell (a blocking read() of the counter).
Figures eventfd_doorbells(const Options& options) {
  const std::size_t size = options.size;
  const std::size_t stride = (size + 63) / 64 * 64;
  void* mapping = mmap(nullptr, 2 * stride, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) die("mmap");
  char* const request = static_cast<char*>(mapping);
  char* const reply = request + stride;
  const int to_server = eventfd(0, EFD_CLOEXEC), to_client = eventfd(0, EFD_CLOEXEC);
  if (to_server < 0 || to_client < 0) die("eventfd");
  const auto ring = [](int fd) {
    const std::uint64_t one = 1;
    if (write(fd, &one, 8) != 8) die("write eventfd");
  };
  const auto take = [](int fd) {
    std::uint64_t count;
    if (read(fd, &count, 8) != 8) die("read eventfd");
  };
  std::vector<char> client_message(size, 'x');
  const Figures figures = ping_pong(
      options,
      [&] {
        std::vector<char> message(size);
        for (;;) {
          take(to_server);
          std::memcpy(message.data(), request, size);
          if (header_of(message.data()) == kStop) return;
          set_header(message.data(), ~header_of(message.data()));
          std::memcpy(reply, message.data(), size);
          ring(to_client);
        }
      },
      [&](std::uint64_t sequence) {
        set_header(client_message.data(), sequence);
        std::memcpy(request, client_message.data(), size);
        ring(to_server);
        take(to_client);
        std::memcpy(client_message.data(), reply, size);
        check_reply(client_message.data(), sequence);
      },
      [&] {
        set_header(request, kStop);
        ring(to_server);
      });
  munmap(mapping, 2 * stride);
  return figures;
}

}  // namespace

Figures run_descriptor_loop(const Options& options) {
  constexpr std::string_view kBusyPoll = "-busy-poll";
  std::string m = options.mechanism;
  const bool busy_poll = m.ends_with(kBusyPoll);
  if (busy_poll) m.resize(m.size() - kBusyPoll.size());
  if (m == "eventfd") return eventfd_doorbells(options);
  if (m == "posix-mq") return whole_messages(options, make_message_queues(options.size), Kind::message_queue);
  const Ends ends = m == "tcp" ? make_tcp() : m == "udp" ? make_udp() : m == "unix" ? make_unix() : make_pipe();
  if (busy_poll)
    for (int fd : {ends.client_in, ends.client_out, ends.server_in, ends.server_out})
      if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) die("O_NONBLOCK");
  return whole_messages(options, ends, m == "udp" ? Kind::datagram : Kind::stream);
}

}  // namespace minimal
