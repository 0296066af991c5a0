// ZeroMQ's loops: a PAIR socket on each side over ipc://, tcp:// or (threads only) inproc://, each side's context made on its own CPU.
#include <netinet/in.h>
#include <sys/socket.h>
#include <zmq.h>

#include <optional>

#include "minimal.hpp"

namespace minimal {
namespace {

// A context and one PAIR socket in it, bound or connected to the address.
class Side {
 public:
  Side(void* shared_context, const std::string& address, bool bind)
      : own_context_(shared_context ? nullptr : zmq_ctx_new()), socket_(zmq_socket(context(shared_context), ZMQ_PAIR)) {
    if (!socket_) die("zmq_socket");
    if ((bind ? zmq_bind(socket_, address.c_str()) : zmq_connect(socket_, address.c_str())) != 0)
      die(bind ? "zmq_bind" : "zmq_connect");
  }
  Side(const Side&) = delete;
  Side& operator=(const Side&) = delete;
  ~Side() {
    const int linger = 1000;  // the stop must reach the server before the context ends
    zmq_setsockopt(socket_, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(socket_);
    if (own_context_) zmq_ctx_term(own_context_);
  }

  void send(const char* p, std::size_t n) {
    if (zmq_send(socket_, p, n, 0) != static_cast<int>(n)) die("zmq_send");
  }
  void receive(char* p, std::size_t n) {
    if (zmq_recv(socket_, p, n, 0) != static_cast<int>(n)) die("zmq_recv");
  }

 private:
  void* context(void* shared_context) const { return shared_context ? shared_context : own_context_; }
  void* own_context_;
  void* socket_;
};

// A TCP port that was free a moment ago on 127.0.0.1 (the server binds it after the fork).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    die("finding a free port");
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

Figures run_zeromq_loop(const Options& options) {
  const std::string& m = options.mechanism;
  const bool inproc = m == "zeromq-inproc";
  if (inproc && options.mode != Mode::thread) {
    std::fputs("ipcbench_minimal: mode 'process' is not valid: zeromq-inproc runs in thread mode only\n", stderr);
    std::exit(2);
  }
  const std::string address = m == "zeromq-tcp" ? "tcp://127.0.0.1:" + std::to_string(free_port())
                              : inproc          ? std::string("inproc://minimal")
                                                : "ipc://@ipcbench-minimal-" + std::to_string(getpid());
  void* shared_context = inproc ? zmq_ctx_new() : nullptr;
  if (inproc) zmq_ctx_set(shared_context, ZMQ_IO_THREADS, 0);
  const std::size_t size = options.size;
  std::vector<char> client_message(size, 'x');
  std::optional<Side> client;  // made on the client's first round trip, on its CPU
  const auto client_here = [&]() -> Side& { return client ? *client : client.emplace(shared_context, address, false); };
  const Figures figures = ping_pong(
      options,
      [&] {
        Side server(shared_context, address, true);
        std::vector<char> message(size);
        for (;;) {
          server.receive(message.data(), size);
          if (header_of(message.data()) == kStop) break;
          set_header(message.data(), ~header_of(message.data()));
          server.send(message.data(), size);
        }
      },
      [&](std::uint64_t sequence) {
        Side& side = client_here();
        set_header(client_message.data(), sequence);
        side.send(client_message.data(), size);
        side.receive(client_message.data(), size);
        check_reply(client_message.data(), sequence);
      },
      [&] {
        set_header(client_message.data(), kStop);
        client_here().send(client_message.data(), size);
      });
  client.reset();
  if (shared_context) zmq_ctx_term(shared_context);
  return figures;
}

}  // namespace minimal
