// run_ping<T>: one host-mode repetition from the client's side: the session's control exchange, then the same client loop as run.
#pragma once

#include <optional>
#include <vector>

#include "harness/host/control_channel.hpp"
#include "harness/host/framed_format.hpp"
#include "harness/run_cell.hpp"

namespace ipcbench {

namespace host_detail {

// What the control exchange before the data phase gives: the data address and the server's
// manifest, or the repetition's failure.
struct Opened {
  std::optional<ControlChannel> control;
  sys::SocketAddress data_address;
  wire::Welcome welcome;
  std::optional<RepResult> failure;
};

Opened open_session(const CellSpec& cell, const RunSettings& settings, WaitKind wait);
// The server's RESULT folded into the client's result.
void finish_session(ControlChannel& control, const RunSettings& settings, const wire::Welcome& welcome,
                    const ControlBlock& block, RepResult& result);

}  // namespace host_detail

// The server is not ours: only the client is forked and supervised here; the server's side
// of the story arrives as its RESULT. Any failure of a session ends the run (the suite's
// ends_run), but a refusal of one cell (a transport the server does not serve, a size).
template <SocketTransport T, SideHooks Hooks>
RepResult run_ping(const CellSpec& cell, const RunSettings& settings) {
  constexpr WaitKind wait = T::kInfo.wait;
  host_detail::Opened session = host_detail::open_session(cell, settings, wait);
  if (session.failure) return *session.failure;

  sys::Shared<ControlBlock> control;
  const FramedFormat format(cell.payload_bytes);
  std::vector<Worker> workers;
  try {
    workers.push_back({"client", sys::Child::fork([&] {
                         ::close(session.control->fd());
                         detail::as_side(*control, Role::client, [&] {
                           if (settings.host_cpu) sys::pin_current_thread(*settings.host_cpu);
                           auto endpoint = T::connect(session.data_address, TransportSetup{format.message_bytes()},
                                                      settings.peer_timeout);
                           detail::client_side<Hooks>(endpoint, format, cell, settings, *control, true);
                         });
                         return 0;
                       })});
  } catch (const std::exception& error) {
    return setup_failure(error, wait);
  }
  RepResult result = collect(*control, supervise(workers, *control, settings.peer_timeout), wait);
  host_detail::finish_session(*session.control, settings, session.welcome, *control, result);
  return result;
}

}  // namespace ipcbench
