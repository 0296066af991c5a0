// The one lookup of a transport by name.
#include "harness/registry_entry.hpp"

#include <algorithm>

namespace ipcbench {

const RegistryEntry* find_transport(Registry registry, std::string_view name) noexcept {
  const auto it = std::find_if(registry.begin(), registry.end(), [&](const RegistryEntry& e) { return e.info.name == name; });
  return it == registry.end() ? nullptr : &*it;
}

}  // namespace ipcbench
