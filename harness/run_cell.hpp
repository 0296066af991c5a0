// run_repetition<T>: one repetition of one cell of transport T, the only place a transport type meets a mode.
#pragma once

#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include "harness/clock.hpp"
#include "harness/loops.hpp"
#include "harness/results.hpp"
#include "harness/supervisor.hpp"
#include "harness/sys/affinity.hpp"
#include "harness/sys/mapping.hpp"

namespace ipcbench {

// Builds the result of a repetition from what the sides left in the control block.
RepResult collect(const ControlBlock& control, const SupervisionOutcome& outcome, WaitKind wait);
RepResult setup_failure(const std::exception& error, WaitKind wait);

namespace detail {

// A side that fails records why and ends its whole process at once: in thread mode that
// also ends the other thread, which may be blocked on the peer that just gave up.
template <class Body>
void as_side(ControlBlock& control, std::string_view role, Body&& body) noexcept {
  sys::name_current_thread(role == "server" ? "ipcb-server" : "ipcb-client");
  try {
    body();
  } catch (const std::exception& error) {
    control.fail(fmt::format("{} side: {}", role, error.what()));
    sys::Child::exit_now(1);
  } catch (...) {
    control.fail(fmt::format("{} side: unknown exception", role));
    sys::Child::exit_now(1);
  }
}

inline void pin_if(Placement placement, int cpu) {
  if (placement != Placement::none) sys::pin_current_thread(cpu);
}

template <class E, class Run>
void with_delay(E& endpoint, const RunSettings& settings, std::string_view name, Run&& run) {
  if (settings.injected_delay.ns != 0 && settings.injected_delay.transport == name) {
    Delayed<E> delayed(std::move(endpoint), *settings.clock, settings.injected_delay.ns);
    run(delayed);
  } else {
    run(endpoint);
  }
}

template <class E>
void client_side(E& endpoint, const CellSpec& cell, const RunSettings& settings, ControlBlock& control,
                 std::string_view name, bool has_server) {
  with_delay(endpoint, settings, name, [&](auto& ep) {
    using Ep = std::remove_reference_t<decltype(ep)>;
    if (settings.plan.verify)
      run_client<Ep, true>(ep, settings.plan, *settings.clock, control, cell.payload_bytes, has_server);
    else
      run_client<Ep, false>(ep, settings.plan, *settings.clock, control, cell.payload_bytes, has_server);
  });
}

template <class E>
void server_side(E& endpoint, const CellSpec& cell, const RunSettings& settings, ControlBlock& control) {
  if (settings.plan.verify)
    run_server<E, true>(endpoint, control, cell.payload_bytes);
  else
    run_server<E, false>(endpoint, control, cell.payload_bytes);
}

template <class T>
std::vector<Worker> start_workers(std::optional<T>& transport, const CellSpec& cell, const RunSettings& settings,
                                  ControlBlock& control, std::string_view name) {
  const int client_cpu = settings.cpus[0];
  const int server_cpu = cell.placement == Placement::cross ? settings.cpus[1] : settings.cpus[0];
  std::vector<Worker> workers;

  if constexpr (LoopbackTransport<T>) {
    workers.push_back({"worker", sys::Child::fork([&] {
                         as_side(control, "client", [&] {
                           pin_if(cell.placement, client_cpu);
                           auto endpoint = transport->loopback();
                           client_side(endpoint, cell, settings, control, name, false);
                         });
                         return 0;
                       })});
  } else if (cell.mode == Mode::thread) {
    workers.push_back({"worker", sys::Child::fork([&] {
                         std::thread server([&] {
                           as_side(control, "server", [&] {
                             pin_if(cell.placement, server_cpu);
                             auto endpoint = transport->server();
                             server_side(endpoint, cell, settings, control);
                           });
                         });
                         as_side(control, "client", [&] {
                           pin_if(cell.placement, client_cpu);
                           auto endpoint = transport->client();
                           client_side(endpoint, cell, settings, control, name, true);
                         });
                         server.join();
                         return 0;
                       })});
  } else {
    // Each child keeps its own endpoint and drops the rest of the transport at once, so a
    // peer's death closes every copy of its descriptors.
    workers.push_back({"server", sys::Child::fork([&] {
                         as_side(control, "server", [&] {
                           pin_if(cell.placement, server_cpu);
                           auto endpoint = transport->server();
                           transport.reset();
                           server_side(endpoint, cell, settings, control);
                         });
                         return 0;
                       })});
    workers.push_back({"client", sys::Child::fork([&] {
                         as_side(control, "client", [&] {
                           pin_if(cell.placement, client_cpu);
                           auto endpoint = transport->client();
                           transport.reset();
                           client_side(endpoint, cell, settings, control, name, true);
                         });
                         return 0;
                       })});
  }
  return workers;
}

template <class T>
RepResult run_with(const CellSpec& cell, const RunSettings& settings, std::string_view name) {
  const WaitKind wait = T::kInfo.wait;
  sys::Shared<ControlBlock> control;
  std::optional<T> transport;
  std::vector<Worker> workers;
  try {
    transport.emplace(TransportSetup{cell.payload_bytes});
    workers = start_workers(transport, cell, settings, *control, name);
  } catch (const std::exception& error) {
    return setup_failure(error, wait);
  }
  // The supervisor keeps no descriptor of the sides: with its copies closed, a side that
  // dies is seen as closed by its peer, not just by the supervisor.
  transport.reset();
  const SupervisionOutcome outcome = supervise(workers, *control, settings.peer_timeout);
  return collect(*control, outcome, wait);
}

}  // namespace detail

template <class T>
RepResult run_repetition(const CellSpec& cell, const RunSettings& settings) {
  if constexpr (HasOneCpuVariant<T>) {
    if (cell.placement == Placement::same) return detail::run_with<typename T::OnOneCpu>(cell, settings, T::kInfo.name);
  }
  return detail::run_with<T>(cell, settings, T::kInfo.name);
}

}  // namespace ipcbench
