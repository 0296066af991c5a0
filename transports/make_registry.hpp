// make_registry<Hooks>(): the registry built from the one type list, for a given kind of side hooks.
#pragma once

#include <array>

#include "harness/registry_entry.hpp"
#include "harness/host/serve_session.hpp"
#include "harness/repetition.hpp"
#include "transports/all.hpp"

namespace ipcbench {

template <SideHooks Hooks, class... T>
constexpr auto make_registry(TypeList<T...>) {
  static_assert((AnyTransport<T> && ...), "every listed type must be a transport of one of the shapes in harness/transport.hpp");
  return std::array<RegistryEntry, sizeof...(T)>{
      RegistryEntry{T::kInfo, modes_of<T>(), shape_of<T>(), &run_repetition<T, Hooks>, serve_session_of<T>(),
                    HasBusyPolledVariant<T>}...};
}

}  // namespace ipcbench
