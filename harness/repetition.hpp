// run_repetition<T>: one repetition of one cell of transport T, the only place a transport type meets a mode.
#pragma once

#include "harness/host/ping.hpp"
#include "harness/run_cell.hpp"

namespace ipcbench {

template <AnyTransport T, SideHooks Hooks = NoHooks>
RepResult run_repetition(const CellSpec& cell, const RunSettings& settings) {
  if constexpr (SocketTransport<T>) {
    if (cell.mode == Mode::host) return run_ping<T, Hooks>(cell, settings);
  }
  if constexpr (HasBusyPolledVariant<T>) {
    if (cell.wait == WaitPolicy::busy_poll) return detail::run_local<typename T::BusyPolled, Hooks>(cell, settings);
  }
  if constexpr (HasOneCpuVariant<T>) {
    if (cell.placement == Placement::same) return detail::run_local<typename T::OnOneCpu, Hooks>(cell, settings);
  }
  return detail::run_local<T, Hooks>(cell, settings);
}

}  // namespace ipcbench
