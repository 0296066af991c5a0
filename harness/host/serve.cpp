// The serve loop: accept a control connection, read its hello, refuse it or run its session, log one line, go on.
#include "harness/host/serve.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/host/control_channel.hpp"
#include "harness/parse.hpp"
#include "harness/suite.hpp"
#include "harness/supervisor.hpp"
#include "harness/sys/io.hpp"
#include "harness/sys/socket.hpp"

namespace ipcbench {
namespace {

// Enough for a few clients that arrive while a session runs; they are refused as busy.
constexpr int kBacklog = 16;
// How often the idle loop looks at the signal flag.
constexpr int kIdleWakeMs = 200;

std::string served_names(const ServeSettings& settings) {
  std::vector<std::string_view> names;
  for (const RegistryEntry* entry : settings.transports) names.push_back(entry->info.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

void log_line(const std::string& text) {
  fmt::print(stderr, "ipcbench serve: {}\n", text);
  std::fflush(stderr);
}

// The refusal a client gets when it asked for something this server does not do, or empty.
std::string refusal_of(const ServeSettings& settings, const wire::Hello& hello, const RegistryEntry*& entry) {
  entry = nullptr;
  for (const RegistryEntry* served : settings.transports)
    if (served->info.name == hello.transport) entry = served;
  if (!entry) return fmt::format("transport '{}' is not served here: served are {}", hello.transport, served_names(settings));
  if (hello.payload_bytes > max_payload_bytes(*entry, Mode::host))
    return fmt::format("payload {} exceeds {}'s maximum of {} in host mode", format_size(hello.payload_bytes),
                       entry->info.name, format_size(max_payload_bytes(*entry, Mode::host)));
  return {};
}

void send_refusal(ControlChannel& control, std::string_view reason, std::chrono::milliseconds timeout) {
  const wire::Refuse refusal{wire::kProtocolVersion, std::string(reason)};
  control.send(wire::FrameType::refuse, wire::encode(refusal), sys::deadline_in(timeout));
}

// A client that arrives while another is served: whatever it sent so far is read first, so
// that closing does not reset the connection before it has read why. A few per wake-up, so
// that a flood of them cannot starve the session's supervision.
constexpr int kBusyRefusalsPerWake = 16;

void refuse_busy(int listener) {
  for (int i = 0; i < kBusyRefusalsPerWake; ++i) {
    pollfd waiting{listener, POLLIN, 0};
    if (::poll(&waiting, 1, 0) <= 0) return;
    sys::Fd client = sys::accept_cloexec(listener, true);
    if (!client) return;
    std::array<std::byte, wire::kHeaderBytes + wire::kMaxControlBodyBytes> discard;
    [[maybe_unused]] const ssize_t drained = ::recv(client.get(), discard.data(), discard.size(), MSG_DONTWAIT);
    const std::string frame = wire::encode_control(
        wire::FrameType::refuse, wire::encode(wire::Refuse{wire::kProtocolVersion, std::string(wire::kBusyReason)}));
    [[maybe_unused]] const ssize_t sent = ::send(client.get(), frame.data(), frame.size(), sys::kNoSigpipe | MSG_DONTWAIT);
    ::shutdown(client.get(), SHUT_WR);
  }
}

// SIGINT or SIGTERM while a client is read: the serve loop ends.
struct Interrupted {};

struct Session {
  const ServeSettings& settings;
  const Manifest& manifest;
  const Clock& clock;
  int listener;
};

// One client from accept to close. Every failure is the client's or the session's, logged,
// and never the server's end. Returns whether a session ran (its hello was welcomed).
bool serve_client(const Session& s, sys::Fd socket, bool& interrupted) {
  const std::chrono::milliseconds timeout = s.settings.peer_timeout;
  std::string who = "a client";
  // While one client is slow to say hello, the next ones are told the server is busy.
  const auto while_waiting = [&] {
    refuse_busy(s.listener);
    if (interrupt_signal() != 0) throw Interrupted{};
  };
  try {
    ControlChannel control(std::move(socket));
    who = control.peer().to_string();
    const wire::ControlFrame frame = control.receive(sys::deadline_in(timeout), while_waiting);
    if (frame.type != wire::FrameType::hello) {
      send_refusal(control, fmt::format("expected a hello, got frame type {}", static_cast<int>(frame.type)), timeout);
      log_line(fmt::format("{}: refused: its first frame was type {}, not a hello", who, static_cast<int>(frame.type)));
      return false;
    }
    wire::Hello hello;
    try {
      hello = wire::parse_hello(frame.body);
    } catch (const ProtocolError& error) {
      send_refusal(control, error.what(), timeout);
      log_line(fmt::format("{}: refused: {}", who, error.what()));
      return false;
    }
    const RegistryEntry* entry = nullptr;
    if (const std::string reason = refusal_of(s.settings, hello, entry); !reason.empty()) {
      send_refusal(control, reason, timeout);
      log_line(fmt::format("{}: refused: {}", who, reason));
      return false;
    }
    const std::array<int, 2> not_for_the_child{s.listener, control.fd()};
    const ServeOutcome outcome = entry->serve(
        {s.settings, hello, control, s.manifest, s.clock, not_for_the_child, [&] { refuse_busy(s.listener); }});
    interrupted = outcome.interrupted;
    log_line(fmt::format("{}: {} {} repetition {}: {}", who, hello.transport, format_size(hello.payload_bytes),
                         hello.repetition,
                         outcome.ok ? fmt::format("ok, {} requests answered", outcome.requests) : outcome.reason));
    return true;
  } catch (const Interrupted&) {
    interrupted = true;
    return false;
  } catch (const std::exception& error) {
    log_line(fmt::format("{}: dropped: {}", who, error.what()));
    return false;
  }
}

}  // namespace

HostServer::HostServer(ServeSettings settings)
    : settings_(std::move(settings)),
      listener_(sys::listen_tcp(settings_.listen, kBacklog)),
      address_(sys::SocketAddress::local_of(listener_.get())) {}

int HostServer::run(const Manifest& manifest, const Clock& clock) {
  fmt::print("ipcbench serve: listening on {} (protocol {}): {}\n", address_.to_string(), wire::kProtocolVersion,
             served_names(settings_));
  std::fflush(stdout);

  const Session session{settings_, manifest, clock, listener_.get()};
  std::uint64_t sessions = 0;
  bool interrupted = false;
  while (!interrupted && interrupt_signal() == 0 && (!settings_.sessions || sessions < *settings_.sessions)) {
    // No SA_RESTART (install_interrupt_handlers): a signal ends the poll at once.
    pollfd entry{listener_.get(), POLLIN, 0};
    if (::poll(&entry, 1, kIdleWakeMs) <= 0) continue;
    sys::Fd client = sys::accept_cloexec(listener_.get());
    if (!client) {
      // Out of descriptors or memory: say so and let the clients queue meanwhile, rather
      // than spin on a listener that stays readable. Anything else is a client that gave up.
      if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
        log_line(fmt::format("accept on {}: {}; trying again in 1 s", address_.to_string(), std::strerror(errno)));
        ::poll(nullptr, 0, 1000);
      }
      continue;
    }
    if (serve_client(session, std::move(client), interrupted)) ++sessions;
  }
  const int signal = interrupt_signal();
  log_line(fmt::format("stopped {} after {} session(s)",
                       signal == SIGINT ? "by SIGINT" : signal == SIGTERM ? "by SIGTERM" : "as asked", sessions));
  return 0;
}

}  // namespace ipcbench
