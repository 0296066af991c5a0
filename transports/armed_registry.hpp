// The registry of ipcbench_armed and the reliability tests: the same transports, their sides built with ArmedHooks.
#pragma once

#include "harness/registry_entry.hpp"

namespace ipcbench {

Registry armed_registry();

}  // namespace ipcbench
