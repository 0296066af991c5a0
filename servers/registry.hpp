// The server architectures `ipcbench load` and `ipcbench serve --arch` know, derived from the one list in servers/all.hpp.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "servers/architecture.hpp"

namespace ipcbench {

class KvStore;

struct ArchitectureEntry {
  std::string_view name;
  std::string_view design;
  // Serves the settings' workload until the stop descriptor is readable.
  void (*serve)(const ServeContext& context, KvStore& store);
};

[[nodiscard]] std::span<const ArchitectureEntry> architectures() noexcept;
// Throws UsageError naming the bad name and every valid one.
[[nodiscard]] const ArchitectureEntry& architecture_named(std::string_view name);
[[nodiscard]] std::string architecture_names();  // "epoll, reactors, ..."

}  // namespace ipcbench
