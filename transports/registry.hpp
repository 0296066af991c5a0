// The registry of `ipcbench` and ipcbench_gbench: every transport of transports/all.hpp, type-erased, in the order of that list.
#pragma once

#include "harness/registry_entry.hpp"

namespace ipcbench {

Registry registry();

}  // namespace ipcbench
