// The side the calling thread plays, so that a C library which ends the process on a fatal error can say why first.
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "harness/control_block.hpp"
#include "harness/sys/child.hpp"

namespace ipcbench {

// Set by the harness on each side's thread for the side's life (run_cell.hpp).
struct CurrentSide {
  ControlBlock* control = nullptr;
  std::string_view role;
};
inline thread_local CurrentSide g_current_side;

// Records `reason` as the calling side's failure, as a thrown error would be, and ends the
// process at once. For callbacks of C libraries that are about to exit() on their own.
[[noreturn]] inline void fail_current_side(std::string_view reason) noexcept {
  if (ControlBlock* control = g_current_side.control) {
    try {
      control->fail(fmt::format("{} side: {}", g_current_side.role, reason));
    } catch (...) {
      control->fail(reason);
    }
  }
  sys::Child::exit_now(1);
}

}  // namespace ipcbench
