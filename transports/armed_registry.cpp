// The armed build's registry, compiled into its own library so that no normal binary links it.
#include "transports/armed_registry.hpp"

#include "harness/armed_hooks.hpp"
#include "transports/make_registry.hpp"

namespace ipcbench {
namespace {

const auto kArmedRegistry = make_registry<ArmedHooks>(AllTransports{});

}  // namespace

Registry armed_registry() { return kArmedRegistry; }

}  // namespace ipcbench
