// The normal build's registry: no hooks anywhere in its loops.
#include "transports/registry.hpp"

#include "transports/make_registry.hpp"

namespace ipcbench {
namespace {

const auto kRegistry = make_registry<NoHooks>(AllTransports{});

}  // namespace

Registry registry() { return kRegistry; }

}  // namespace ipcbench
