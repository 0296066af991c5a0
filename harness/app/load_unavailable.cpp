// `ipcbench load` and `serve --arch` where the servers are not built: one clear error instead.
#include <fmt/format.h>

#include "harness/app/load_command.hpp"
#include "harness/parse.hpp"
#include "harness/sys/affinity.hpp"

namespace ipcbench {
namespace {

[[noreturn]] void throw_no_servers(std::string_view what) {
  throw UsageError(fmt::format("{} needs the server architectures, which are built on Linux only (they wait with epoll, "
                               "eventfd and io_uring): this build for {} has none; `ipcbench run`, `serve` and `ping` work here",
                               what, sys::kSystemName));
}

}  // namespace

std::string server_architecture_names() { return fmt::format("none: not built for {}", sys::kSystemName); }

int run_load(const LoadOptions& /*options*/) { throw_no_servers("ipcbench load"); }

int serve_architecture(const ArchServeOptions& /*options*/, const std::string& /*listen*/, const std::optional<std::string>& /*cpus*/) {
  throw_no_servers("ipcbench serve --arch");
}

}  // namespace ipcbench
