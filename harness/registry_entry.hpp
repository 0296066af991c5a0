// RegistryEntry: a transport after type erasure, which happens once per cell, here.
#pragma once

#include "harness/results.hpp"
#include "harness/settings.hpp"
#include "harness/transport.hpp"

namespace ipcbench {

using RunRepetition = RepResult (*)(const CellSpec&, const RunSettings&);

struct RegistryEntry {
  TransportInfo info;
  RunRepetition run = nullptr;  // null when the transport is not built on this platform

  [[nodiscard]] bool available() const noexcept { return run != nullptr; }
};

}  // namespace ipcbench
