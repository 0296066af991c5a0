// serve_session<T>: the server side of one host-mode session over socket transport T, in a supervised child.
#pragma once

#include <unistd.h>

#include <optional>
#include <vector>

#include "harness/host/control_channel.hpp"
#include "harness/host/framed_format.hpp"
#include "harness/host/serve.hpp"
#include "harness/run_cell.hpp"

namespace ipcbench {

// The data listener is made on the control connection's own address, so the data goes
// where the client already reached; WELCOME tells the client its port. The server side runs
// in a child, pinned if asked, that accepts only the control connection's host. A crash, a
// hang or a hostile client then costs this one session, never the server.
template <SocketTransport T>
ServeOutcome serve_session(const ServeRequest& request) {
  const wire::Hello& hello = request.hello;
  const std::chrono::milliseconds timeout = request.settings.peer_timeout;
  const CellSpec cell{hello.transport, Mode::host, Placement::none, hello.payload_bytes, {}};
  RunSettings run;
  run.plan = hello.plan;
  run.peer_timeout = timeout;
  run.clock = &request.clock;
  const FramedFormat format(hello.payload_bytes);
  const sys::SocketAddress client = request.control.peer();

  std::optional<typename T::Listener> listener;
  std::optional<sys::Shared<ControlBlock>> shared;
  std::vector<Worker> workers;
  try {
    listener.emplace(request.control.local().with_port(0), TransportSetup{format.message_bytes()});
    shared.emplace();
    (*shared)->phase.store(Phase::serving);
    workers.push_back({"server", sys::Child::fork([&] {
                         for (int fd : request.close_in_child) ::close(fd);
                         detail::as_side(**shared, Role::server, [&] {
                           if (request.settings.cpu) sys::pin_current_thread(*request.settings.cpu);
                           auto endpoint = listener->accept(sys::deadline_in(timeout), client);
                           listener.reset();
                           detail::server_side<ServeHooks>(endpoint, format, cell, run, **shared);
                         });
                         return 0;
                       })});
  } catch (const std::exception& error) {
    // The client is told why, rather than left with a closed connection.
    const std::string reason = fmt::format("the server could not set up the session: {}", error.what());
    request.control.send(wire::FrameType::refuse, wire::encode(wire::Refuse{wire::kProtocolVersion, reason}),
                         sys::deadline_in(timeout));
    return {false, false, reason, 0};
  }
  ControlBlock* control = shared->get();
  const std::uint16_t data_port = listener->address().port();
  listener.reset();

  const wire::Welcome welcome{wire::kProtocolVersion, data_port, request.settings.cpu.value_or(-1), request.manifest};
  request.control.send(wire::FrameType::welcome, wire::encode(welcome), sys::deadline_in(timeout));
  // The child's own accept deadline comes first, so that a client that never connects is
  // reported as such rather than as a stall.
  const SupervisionOutcome outcome =
      supervise(workers, *control, timeout + std::chrono::milliseconds(500), request.while_waiting);

  const SideReport& side = control->server;
  wire::Result result{outcome.ok, outcome.reason, control->server_messages, side.cpu_ns, side.voluntary_switches,
                      side.involuntary_switches, side.cpu};
  try {
    request.control.send(wire::FrameType::result, wire::encode(result), sys::deadline_in(timeout));
  } catch (const std::exception&) {
    // The client is gone; the outcome below says why, if anything went wrong.
  }
  return {outcome.ok, outcome.interrupted, outcome.reason, control->server_messages};
}

template <AnyTransport T>
constexpr ServeSession serve_session_of() noexcept {
  if constexpr (SocketTransport<T>) return &serve_session<T>;
  else return nullptr;
}

}  // namespace ipcbench
