// RegistryEntry: a transport after type erasure, which happens once per cell, here.
#pragma once

#include <span>
#include <string_view>

#include "harness/results.hpp"
#include "harness/settings.hpp"
#include "harness/transport.hpp"

namespace ipcbench {

struct ServeRequest;
struct ServeOutcome;

using RunRepetition = RepResult (*)(const CellSpec&, const RunSettings&);
using ServeSession = ServeOutcome (*)(const ServeRequest&);

struct RegistryEntry {
  TransportInfo info;
  ModeSet modes;            // from the transport's shape
  std::string_view shape;   // "pair", "socket" or "loopback"
  RunRepetition run;        // one repetition of a cell, in any of `modes`
  ServeSession serve = nullptr;  // socket transports: the server side of a host-mode session
  bool busy_polls = false;       // has a BusyPolled variant (--wait busy-poll)
};

using Registry = std::span<const RegistryEntry>;

// The one lookup by name; nullptr when no transport has that name.
const RegistryEntry* find_transport(Registry registry, std::string_view name) noexcept;

}  // namespace ipcbench
