// `ipcbench fanout` where the fan-out mechanisms are not built: one clear error instead.
#include <fmt/format.h>

#include "harness/app/fanout_command.hpp"
#include "harness/parse.hpp"
#include "harness/sys/affinity.hpp"

namespace ipcbench {

std::string fanout_mechanism_names() { return fmt::format("none: not built for {}", sys::kSystemName); }

int run_fanout(const FanoutOptions& /*options*/) {
  throw UsageError(fmt::format("ipcbench fanout is built on Linux only (multicast on loopback, abstract ZeroMQ names): this "
                               "build for {} has no fan-out mechanism; `ipcbench run`, `serve` and `ping` work here",
                               sys::kSystemName));
}

}  // namespace ipcbench
