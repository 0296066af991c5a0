// run_repetition<T>: one repetition of one cell of transport T, the only place a transport type meets a mode.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include "harness/clock.hpp"
#include "harness/current_side.hpp"
#include "harness/loops.hpp"
#include "harness/results.hpp"
#include "harness/supervisor.hpp"
#include "harness/sys/affinity.hpp"
#include "harness/sys/io.hpp"
#include "harness/sys/mapping.hpp"

namespace ipcbench {

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
void as_side(ControlBlock& control, std::string_view role, Body&& body) noexcept {
  sys::name_current_thread(role == "server" ? "ipcb-server" : "ipcb-client");
  g_current_side = {&control, role};
  bool peer_gone = false;
  try {
    body();
    return;
  } catch (const PeerClosed& error) {
    control.fail_because_peer_gone(fmt::format("{} side: {}", role, error.what()));
    peer_gone = true;
  } catch (const std::exception& error) {
    control.fail(fmt::format("{} side: {}", role, error.what()));
  } catch (...) {
    control.fail(fmt::format("{} side: unknown exception", role));
  }
  // Out of the handler, the exception is freed: a side that fails leaves no block behind
  // that valgrind would count as possibly lost.
  if (peer_gone) wait_for_cause(control);
  sys::Child::exit_now(1);
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
                 std::string_view name, bool has_server, const FaultInjection& fault) {
  inject_fault(fault, FaultInjection::Side::client, Phase::setup);
  with_delay(endpoint, settings, name, [&](auto& ep) {
    using Ep = std::remove_reference_t<decltype(ep)>;
    if (settings.plan.verify)
      run_client<Ep, true>(ep, settings.plan, *settings.clock, control, cell.payload_bytes, has_server, fault);
    else
      run_client<Ep, false>(ep, settings.plan, *settings.clock, control, cell.payload_bytes, has_server, fault);
  });
}

template <class E, bool kVerify>
void server_loop(E& endpoint, const CellSpec& cell, ControlBlock& control, const FaultInjection& fault) {
  if (fault.side == FaultInjection::Side::server)
    run_server<E, kVerify, true>(endpoint, control, cell.payload_bytes, fault);
  else
    run_server<E, kVerify>(endpoint, control, cell.payload_bytes);
}

template <class E>
void server_side(E& endpoint, const CellSpec& cell, const RunSettings& settings, ControlBlock& control,
                 const FaultInjection& fault) {
  inject_fault(fault, FaultInjection::Side::server, Phase::setup);
  if (settings.plan.verify)
    server_loop<E, true>(endpoint, cell, control, fault);
  else
    server_loop<E, false>(endpoint, cell, control, fault);
}

template <class T>
std::vector<Worker> start_workers(std::optional<T>& transport, const CellSpec& cell, const RunSettings& settings,
                                  ControlBlock& control, std::string_view name, const FaultInjection& fault) {
  const int client_cpu = settings.cpus[0];
  const int server_cpu = cell.placement == Placement::cross ? settings.cpus[1] : settings.cpus[0];
  std::vector<Worker> workers;

  if constexpr (LoopbackTransport<T>) {
    workers.push_back({"worker", sys::Child::fork([&] {
                         as_side(control, "client", [&] {
                           pin_if(cell.placement, client_cpu);
                           auto endpoint = transport->loopback();
                           client_side(endpoint, cell, settings, control, name, false, fault);
                         });
                         return 0;
                       })});
  } else if (cell.mode == Mode::thread) {
    workers.push_back({"worker", sys::Child::fork([&] {
                         std::thread server([&] {
                           as_side(control, "server", [&] {
                             pin_if(cell.placement, server_cpu);
                             auto endpoint = transport->server();
                             server_side(endpoint, cell, settings, control, fault);
                           });
                         });
                         as_side(control, "client", [&] {
                           pin_if(cell.placement, client_cpu);
                           auto endpoint = transport->client();
                           client_side(endpoint, cell, settings, control, name, true, fault);
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
                           server_side(endpoint, cell, settings, control, fault);
                         });
                         return 0;
                       })});
    workers.push_back({"client", sys::Child::fork([&] {
                         as_side(control, "client", [&] {
                           pin_if(cell.placement, client_cpu);
                           auto endpoint = transport->client();
                           transport.reset();
                           client_side(endpoint, cell, settings, control, name, true, fault);
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
  const FaultInjection fault = settings.fault.armed_for(name) ? settings.fault : FaultInjection{};
  try {
    transport.emplace(TransportSetup{cell.payload_bytes});
    workers = start_workers(transport, cell, settings, *control, name, fault);
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
