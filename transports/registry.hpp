// The registry: every transport of transports/all.hpp, type-erased, in the order of that list.
#pragma once

#include <span>
#include <string_view>

#include "harness/registry_entry.hpp"

namespace ipcbench {

std::span<const RegistryEntry> registry();
// nullptr when no transport has that name.
const RegistryEntry* find_transport(std::string_view name);

}  // namespace ipcbench
