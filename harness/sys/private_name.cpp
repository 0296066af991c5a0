// Unguessable names for the IPC objects a run must name.
#include "harness/sys/private_name.hpp"

#include <sys/types.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <fmt/format.h>

namespace ipcbench::sys {

// getentropy: Linux (glibc 2.25), FreeBSD and macOS alike; getrandom is missing on macOS.
std::string private_ipc_name(std::string_view what) {
  std::uint64_t random = 0;
  if (::getentropy(&random, sizeof random) != 0) throw fmt::system_error(errno, "getentropy for the name of a {}", what);
#if defined(__APPLE__)
  // macOS allows 31 characters in a shm_open name (PSHMNAMLEN): the random part alone.
  return fmt::format("/ipcbench-{:016x}", random);
#else
  return fmt::format("/ipcbench-{}-{:016x}-{}", ::getpid(), random, what);
#endif
}

}  // namespace ipcbench::sys
