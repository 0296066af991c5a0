// The server process: host_server runs an architecture with its stats thread; ServerProcess forks and drives it.
#include "servers/server_process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <memory>
#include <stdexcept>
#include <thread>

#include "harness/sys/affinity.hpp"
#include "harness/sys/resource.hpp"
#include "servers/kv_store.hpp"

namespace ipcbench {

// One packet each way on a SOCK_SEQPACKET pair: both ends are this binary, so a plain struct.
struct ControlMessage {
  enum class Kind : char { ready = 'R', sample = 'S', stop = 'Q', error = 'E' };
  Kind kind = Kind::ready;
  std::uint16_t port = 0;
  ServerSample sample;
  char text[256] = {};
};

namespace {

void send_message(int fd, const ControlMessage& message) noexcept {
  ssize_t n;
  do {
    n = ::send(fd, &message, sizeof message, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
}

ControlMessage error_message(std::string_view text) {
  ControlMessage message;
  message.kind = ControlMessage::Kind::error;
  const std::size_t bytes = std::min(text.size(), sizeof message.text - 1);
  std::memcpy(message.text, text.data(), bytes);
  return message;
}

void request_stop(int stop_fd) noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(stop_fd, &one, sizeof one);
}

ServerSample take_sample(const ServerCounters& counters) {
  // Counters first: every architecture closes a descriptor before it counts the close, so
  // once a sample says closed == accepted its descriptor count no longer holds those.
  // Counted the other way round, a sample could see a descriptor still open and then the
  // close that followed it.
  ServerSample s;
  s.accepted = counters.accepted.load(std::memory_order_relaxed);
  s.closed = counters.closed.load(std::memory_order_relaxed);
  s.refused = counters.refused.load(std::memory_order_relaxed);
  const sys::ProcessUsage usage = sys::process_usage();
  s.cpu_ns = usage.cpu_ns;
  s.voluntary_switches = usage.voluntary_switches;
  s.involuntary_switches = usage.involuntary_switches;
  s.rss_bytes = usage.rss_bytes;
  s.threads = usage.threads;
  s.open_fds = usage.open_fds;
  return s;
}

// Answers the parent until it asks for a stop or goes away (either one stops the server).
void answer_control(int control, int stop_fd, const ServerCounters& counters) {
  for (;;) {
    ControlMessage request;
    const ssize_t n = ::recv(control, &request, sizeof request, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || request.kind == ControlMessage::Kind::stop) {
      request_stop(stop_fd);
      return;
    }
    ControlMessage reply;
    reply.kind = ControlMessage::Kind::sample;
    reply.sample = take_sample(counters);
    send_message(control, reply);
  }
}

// The stats thread; its destructor wakes its blocking recv before joining it.
class StatsThread {
 public:
  StatsThread(int control, int stop_fd, const ServerCounters& counters)
      : control_(control), thread_([=, &counters] { answer_control(control, stop_fd, counters); }) {}
  ~StatsThread() { ::shutdown(control_, SHUT_RD); }

 private:
  int control_;
  std::jthread thread_;
};

std::atomic<int> g_signal_stop_fd{-1};
extern "C" void stop_on_signal(int) { request_stop(g_signal_stop_fd.load()); }

}  // namespace

int host_server(const ArchitectureEntry& architecture, const ServerSettings& settings, const sys::SocketAddress& listen,
                int control, const std::function<void(const sys::SocketAddress&)>& on_listening) {
  // Before any thread starts, so that every thread the architecture makes inherits the set.
  if (!settings.cpus.empty()) sys::pin_current_thread(std::span<const int>(settings.cpus));
  sys::raise_descriptor_limit();
  sys::Fd listener = listen_for_load(listen);
  const sys::SocketAddress address = sys::SocketAddress::local_of(listener.get());
  sys::Fd stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop) throw std::system_error(errno, std::generic_category(), "eventfd");
  ServerCounters counters;
  const auto store = std::make_unique<KvStore>();
  const ServeContext context(listener.get(), address, stop.get(), settings, counters);

  std::optional<StatsThread> stats;
  if (control >= 0) {
    stats.emplace(control, stop.get(), counters);
  } else {
    g_signal_stop_fd = stop.get();
    struct sigaction action{};
    action.sa_handler = stop_on_signal;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
  }
  on_listening(address);
  architecture.serve(context, *store);
  return 0;
}

ServerProcess::ServerProcess(const ArchitectureEntry& architecture, const ServerSettings& settings,
                             const sys::SocketAddress& listen, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  sys::FdPair pair = sys::make_socketpair(SOCK_SEQPACKET);
  child_.emplace(sys::Child::fork([&] {
    pair.first.reset();
    const int control = pair.second.get();
    sys::name_current_thread("ipcb-server");
    try {
      return host_server(architecture, settings, listen, control, [control](const sys::SocketAddress& address) {
        ControlMessage ready;
        ready.kind = ControlMessage::Kind::ready;
        ready.port = address.port();
        send_message(control, ready);
      });
    } catch (const std::exception& error) {
      send_message(control, error_message(error.what()));
      return 1;
    }
  }));
  pair.second.reset();
  control_ = std::move(pair.first);
  const std::optional<ControlMessage> first = receive();
  if (first && first->kind == ControlMessage::Kind::ready) {
    address_ = listen.with_port(first->port);
    return;
  }
  if (first && first->kind == ControlMessage::Kind::error) throw std::runtime_error(first->text);
  throw std::runtime_error(fmt::format("the {} server did not start: {}", architecture.name, describe_end()));
}

std::optional<ControlMessage> ServerProcess::receive() {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  for (;;) {
    pollfd fds[2] = {{control_.get(), POLLIN, 0}, {child_->pidfd(), POLLIN, 0}};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    const int n = ::poll(fds, fds[1].fd >= 0 ? 2 : 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    if (fds[0].revents & POLLIN) {
      ControlMessage message;
      const ssize_t got = ::recv(control_.get(), &message, sizeof message, 0);
      if (got == static_cast<ssize_t>(sizeof message)) {
        if (message.kind == ControlMessage::Kind::error) last_error_ = message.text;
        return message;
      }
      if (got < 0 && errno == EINTR) continue;
      return std::nullopt;
    }
    if (fds[0].revents || fds[1].revents) return std::nullopt;
  }
}

ServerSample ServerProcess::sample() {
  ControlMessage request;
  request.kind = ControlMessage::Kind::sample;
  send_message(control_.get(), request);
  const std::optional<ControlMessage> reply = receive();
  if (reply && reply->kind == ControlMessage::Kind::sample) return reply->sample;
  throw std::runtime_error(fmt::format("the server did not answer a stats request within {} ms: {}", timeout_.count(),
                                       describe_end()));
}

std::string ServerProcess::stop() {
  ControlMessage request;
  request.kind = ControlMessage::Kind::stop;
  send_message(control_.get(), request);
  const auto deadline = std::chrono::steady_clock::now() + timeout_ + ServeContext::kStopGrace;
  while (!child_->try_reap() && std::chrono::steady_clock::now() < deadline) {
    pollfd fd{child_->pidfd(), POLLIN, 0};
    if (fd.fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    else ::poll(&fd, 1, 10);
  }
  if (!child_->status()) {
    child_->kill_and_reap();
    return fmt::format("did not stop within {} ms of being asked; killed", (timeout_ + ServeContext::kStopGrace).count());
  }
  return child_->status()->clean() ? std::string() : describe_end();
}

std::optional<std::string> ServerProcess::ended() {
  if (!child_->try_reap()) return std::nullopt;
  return describe_end();
}

std::string ServerProcess::describe_end() {
  const std::optional<sys::ExitStatus> status = child_->try_reap();
  if (!status) return fmt::format("it is {}", child_->state());
  if (!last_error_.empty()) return fmt::format("{}: {}", status->describe(), last_error_);
  return status->describe();
}

}  // namespace ipcbench
