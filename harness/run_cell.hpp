// The sides of a repetition (client_side, server_side) and thread and process mode: both sides forked from here and supervised.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include "harness/clock.hpp"
#include "harness/current_side.hpp"
#include "harness/hooks.hpp"
#include "harness/loops.hpp"
#include "harness/results.hpp"
#include "harness/supervisor.hpp"
#include "harness/sys/affinity.hpp"
#include "harness/sys/io.hpp"
#include "harness/sys/mapping.hpp"

namespace ipcbench {

// How long a side waits for its peer to appear during set-up (accept, connect).
inline constexpr std::chrono::milliseconds kSetupTimeout{2000};

// Builds the result of a repetition from what the sides left in the control block.
RepResult collect(const ControlBlock& control, const SupervisionOutcome& outcome, WaitKind wait);
RepResult setup_failure(const std::exception& error, WaitKind wait);

namespace detail {

// A side whose peer went away waits this long for the peer to record why before it ends its
// process: in thread mode that would end the failing thread too, which closed its descriptors
// while its exception unwound but has not reached its catch yet.
inline void wait_for_cause(const ControlBlock& control) noexcept {
  for (int ms = 0; ms < 50 && control.failed.load(std::memory_order_acquire) == 0; ++ms)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// A side that fails records why and ends its whole process at once: in thread mode that
// also ends the other thread, which may be blocked on the peer that just gave up.
template <class Body>
void as_side(ControlBlock& control, Role role, Body&& body) noexcept {
  sys::name_current_thread(role == Role::server ? "ipcb-server" : "ipcb-client");
  g_current_side = {&control, to_string(role)};
  bool peer_gone = false;
  try {
    body();
    return;
  } catch (const PeerClosed& error) {
    control.fail_because_peer_gone(fmt::format("{} side: {}", to_string(role), error.what()));
    peer_gone = true;
  } catch (const std::exception& error) {
    control.fail(fmt::format("{} side: {}", to_string(role), error.what()));
  } catch (...) {
    control.fail(fmt::format("{} side: unknown exception", to_string(role)));
  }
  // Out of the handler, the exception is freed: a side that fails leaves no block behind
  // that valgrind would count as possibly lost.
  if (peer_gone) wait_for_cause(control);
  sys::Child::exit_now(1);
}

inline void pin_if(Placement placement, int cpu) {
  if (placement != Placement::none) sys::pin_current_thread(cpu);
}

template <SideHooks Hooks, Endpoint E, MessageFormat F>
void client_side(E& endpoint, const F& format, const CellSpec& cell, const RunSettings& settings, ControlBlock& control,
                 bool has_server) {
  Hooks hooks(cell.transport, Role::client, control);
  hooks.at_phase(Phase::setup);
  const auto run = [&](auto& ep) {
    using Ep = std::remove_reference_t<decltype(ep)>;
    if (settings.plan.verify)
      run_client<Ep, F, true>(ep, format, settings.plan, *settings.clock, control, has_server, hooks);
    else
      run_client<Ep, F, false>(ep, format, settings.plan, *settings.clock, control, has_server, hooks);
  };
  if constexpr (Hooks::kDelaysReplies) hooks.with_endpoint(endpoint, *settings.clock, run);
  else run(endpoint);
}

template <SideHooks Hooks, ReliableEndpoint E, MessageFormat F>
void server_side(E& endpoint, const F& format, const CellSpec& cell, const RunSettings& settings, ControlBlock& control) {
  Hooks hooks(cell.transport, Role::server, control);
  hooks.at_phase(Phase::setup);
  if (settings.plan.verify)
    run_server<E, F, true>(endpoint, format, control, hooks);
  else
    run_server<E, F, false>(endpoint, format, control, hooks);
}

// A socket transport between two threads or processes of this host: the listener on
// 127.0.0.1 is made before any thread or fork, then each side takes its end.
template <SocketTransport T>
class LoopbackPair {
 public:
  static constexpr TransportInfo kInfo = T::kInfo;
  explicit LoopbackPair(const TransportSetup& setup)
      : setup_(setup), listener_(std::in_place, sys::SocketAddress::loopback(0), setup), address_(listener_->address()) {}
  [[nodiscard]] auto client() { return T::connect(address_, setup_, kSetupTimeout); }
  // The listener is closed once it has its client: nobody else gets in.
  [[nodiscard]] auto server() {
    auto endpoint = listener_->accept(sys::deadline_in(kSetupTimeout), std::nullopt);
    listener_.reset();
    return endpoint;
  }

 private:
  TransportSetup setup_;
  std::optional<typename T::Listener> listener_;
  sys::SocketAddress address_;
};

template <class T>
struct LocalShape {
  using type = T;
};
template <SocketTransport T>
struct LocalShape<T> {
  using type = LoopbackPair<T>;
};

template <SideHooks Hooks, class T>
std::vector<Worker> start_workers(std::optional<T>& transport, const CellSpec& cell, const RunSettings& settings,
                                  ControlBlock& control) {
  const int client_cpu = settings.cpus[0];
  const int server_cpu = cell.placement == Placement::cross ? settings.cpus[1] : settings.cpus[0];
  const InBandFormat format(cell.payload_bytes, control.stop_requested);
  std::vector<Worker> workers;

  if constexpr (LoopbackTransport<T>) {
    workers.push_back({"worker", sys::Child::fork([&] {
                         as_side(control, Role::client, [&] {
                           pin_if(cell.placement, client_cpu);
                           auto endpoint = transport->loopback();
                           client_side<Hooks>(endpoint, format, cell, settings, control, false);
                         });
                         return 0;
                       })});
  } else if (cell.mode == Mode::thread) {
    workers.push_back({"worker", sys::Child::fork([&] {
                         std::thread server([&] {
                           as_side(control, Role::server, [&] {
                             pin_if(cell.placement, server_cpu);
                             auto endpoint = transport->server();
                             server_side<Hooks>(endpoint, format, cell, settings, control);
                           });
                         });
                         as_side(control, Role::client, [&] {
                           pin_if(cell.placement, client_cpu);
                           auto endpoint = transport->client();
                           client_side<Hooks>(endpoint, format, cell, settings, control, true);
                         });
                         server.join();
                         return 0;
                       })});
  } else {
    // Each child keeps its own endpoint and drops the rest of the transport at once, so a
    // peer's death closes every copy of its descriptors.
    workers.push_back({"server", sys::Child::fork([&] {
                         as_side(control, Role::server, [&] {
                           pin_if(cell.placement, server_cpu);
                           auto endpoint = transport->server();
                           transport.reset();
                           server_side<Hooks>(endpoint, format, cell, settings, control);
                         });
                         return 0;
                       })});
    workers.push_back({"client", sys::Child::fork([&] {
                         as_side(control, Role::client, [&] {
                           pin_if(cell.placement, client_cpu);
                           auto endpoint = transport->client();
                           transport.reset();
                           client_side<Hooks>(endpoint, format, cell, settings, control, true);
                         });
                         return 0;
                       })});
  }
  return workers;
}

// Thread and process mode: both sides are ours, forked from here and supervised.
template <class T, SideHooks Hooks>
RepResult run_local(const CellSpec& cell, const RunSettings& settings) {
  using Shape = typename LocalShape<T>::type;
  sys::Shared<ControlBlock> control;
  std::optional<Shape> transport;
  std::vector<Worker> workers;
  try {
    transport.emplace(TransportSetup{cell.payload_bytes});
    workers = start_workers<Hooks>(transport, cell, settings, *control);
  } catch (const std::exception& error) {
    return setup_failure(error, T::kInfo.wait);
  }
  // The supervisor keeps no descriptor of the sides: with its copies closed, a side that
  // dies is seen as closed by its peer, not just by the supervisor.
  transport.reset();
  const SupervisionOutcome outcome = supervise(workers, *control, settings.peer_timeout);
  return collect(*control, outcome, T::kInfo.wait);
}

}  // namespace detail

}  // namespace ipcbench
