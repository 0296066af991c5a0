// Builds the registry from the one type list; no self-registering statics.
#include "transports/registry.hpp"

#include <algorithm>
#include <array>

#include "harness/run_cell.hpp"
#include "transports/all.hpp"

namespace ipcbench {
namespace {

template <class... T>
constexpr auto entries_of(TypeList<T...>) {
  static_assert(((Transport<T> || LoopbackTransport<T>) && ...), "every listed type must be a Transport");
  std::array<RegistryEntry, sizeof...(T) + std::size(kUnavailableTransports)> entries{
      RegistryEntry{T::kInfo, &run_repetition<T>}...};
  std::size_t i = sizeof...(T);
  for (const TransportInfo& info : kUnavailableTransports) entries[i++] = RegistryEntry{info, nullptr};
  return entries;
}

const auto kRegistry = entries_of(AllTransports{});

}  // namespace

std::span<const RegistryEntry> registry() { return kRegistry; }

const RegistryEntry* find_transport(std::string_view name) {
  const auto it = std::find_if(kRegistry.begin(), kRegistry.end(), [&](const RegistryEntry& e) { return e.info.name == name; });
  return it == kRegistry.end() ? nullptr : &*it;
}

}  // namespace ipcbench
