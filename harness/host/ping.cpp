// The client's control exchange of a host-mode session: hello, welcome or refuse, and the server's result.
#include "harness/host/ping.hpp"

#include <fmt/format.h>

#include "harness/manifest.hpp"

namespace ipcbench::host_detail {
namespace {

RepResult session_failure(std::string reason, WaitKind wait, bool ends_run) {
  RepResult result;
  result.status = Status::failed;
  result.reason = std::move(reason);
  result.wait = wait;
  result.ends_run = ends_run;
  return result;
}

// Once the client failed, the server's word is only a footnote: it gets little time.
constexpr std::chrono::milliseconds kResultAfterFailure{500};

}  // namespace

Opened open_session(const CellSpec& cell, const RunSettings& settings, WaitKind wait) {
  Opened session;
  const sys::SocketAddress& server = *settings.server;
  const std::chrono::milliseconds timeout = settings.peer_timeout;
  const auto fail = [&](std::string reason, bool ends_run) {
    session.failure = session_failure(std::move(reason), wait, ends_run);
    return std::move(session);
  };
  // One deadline for the whole exchange: connect, hello, and its answer.
  const sys::Deadline deadline = sys::deadline_in(timeout);
  try {
    session.control.emplace(ControlChannel::connect(server, timeout));
  } catch (const std::exception& error) {
    return fail(fmt::format("cannot reach the server: {}", error.what()), true);
  }
  try {
    const wire::Hello hello{wire::kProtocolVersion, cell.transport,         cell.payload_bytes,
                            static_cast<std::uint32_t>(settings.repetition), settings.plan,
                            settings.manifest ? *settings.manifest : Manifest{}};
    session.control->send(wire::FrameType::hello, wire::encode(hello), deadline);
    const wire::ControlFrame reply = session.control->receive(deadline);
    if (reply.type == wire::FrameType::refuse) {
      const wire::Refuse refusal = wire::parse_refuse(reply.body);
      if (refusal.protocol != wire::kProtocolVersion)
        return fail(fmt::format("the server at {} speaks protocol {} and this ipcbench protocol {}: {}", server.to_string(),
                                refusal.protocol, wire::kProtocolVersion, refusal.reason),
                    true);
      // A busy server stays busy for the next cell too; a refusal of this cell (a transport
      // the server does not serve) leaves the others to try.
      return fail(fmt::format("the server refused: {}", refusal.reason), refusal.reason.starts_with(wire::kBusyReason));
    }
    if (reply.type != wire::FrameType::welcome)
      return fail(fmt::format("the server at {} answered the hello with frame type {}", server.to_string(),
                              static_cast<int>(reply.type)),
                  true);
    session.welcome = wire::parse_welcome(reply.body);
  } catch (const TimedOut&) {
    return fail(fmt::format("no answer from {} within {} ms (not an ipcbench serve, or stopped)", server.to_string(),
                            timeout.count()),
                true);
  } catch (const std::exception& error) {
    return fail(fmt::format("the session with {} failed before the data phase: {}", server.to_string(), error.what()), true);
  }
  session.data_address = server.with_port(session.welcome.data_port);
  return session;
}

void finish_session(ControlChannel& control, const RunSettings& settings, const wire::Welcome& welcome,
                    const ControlBlock& block, RepResult& result) {
  result.server_manifest = welcome.manifest;
  const bool client_ok = result.status == Status::ok;
  wire::Result server;
  try {
    const wire::ControlFrame frame = control.receive(sys::deadline_in(client_ok ? settings.peer_timeout : kResultAfterFailure));
    if (frame.type != wire::FrameType::result)
      throw ProtocolError(fmt::format("frame type {} where the result was expected", static_cast<int>(frame.type)));
    server = wire::parse_result(frame.body);
  } catch (const std::exception& error) {
    if (client_ok) {
      result.status = Status::failed;
      result.reason = fmt::format("the server sent no result: {}", error.what());
    }
    result.ends_run = true;
    return;
  }
  if (!server.ok) {
    result.reason = client_ok ? fmt::format("server side: {}", server.reason)
                              : fmt::format("{}; the server says: {}", result.reason, server.reason);
    result.status = Status::failed;
  } else if (client_ok) {
    const SideReport side{server.cpu_ns, server.voluntary_switches, server.involuntary_switches, server.cpu, 1};
    record_usage(result, Role::server, side, block.all_round_trips);
  }
  // A session that went wrong after the hello leaves a server gone, stopped or confused:
  // the next cell would only wait for it again.
  if (result.status != Status::ok) result.ends_run = true;
}

}  // namespace ipcbench::host_detail
