#include "harness/sys/private_name.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <fmt/format.h>

namespace ipcbench::sys {

std::string private_ipc_name(std::string_view what) {
  std::uint64_t random = 0;
  if (::getrandom(&random, sizeof random, 0) != static_cast<ssize_t>(sizeof random))
    throw fmt::system_error(errno, "getrandom for the name of a {}", what);
  return fmt::format("/ipcbench-{}-{:016x}-{}", ::getpid(), random, what);
}

}  // namespace ipcbench::sys
