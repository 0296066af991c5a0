// SideHooks: the seams where a side lets in code that a normal run does not need; a normal build's hooks are empty.
#pragma once

#include <concepts>
#include <cstdint>
#include <string_view>

#include "harness/control_block.hpp"

namespace ipcbench {

enum class Role : std::uint8_t { client, server };
std::string_view to_string(Role role) noexcept;

// A policy each side is instantiated with, built once per side from the cell's transport,
// the side's role and the control block. at_phase() is called as the client enters a phase
// (the server calls it for setup only), on_request() each time the server has received a
// message. kDelaysReplies says whether the client's endpoint is to be wrapped by
// with_endpoint() (armed_hooks.hpp); the loops instantiate none of it when it is false.
template <class H>
concept SideHooks = std::constructible_from<H, std::string_view, Role, ControlBlock&> && requires(H& hooks, Phase phase) {
  hooks.at_phase(phase);
  hooks.on_request();
  { H::kDelaysReplies } -> std::convertible_to<bool>;
};

// What `ipcbench`, ipcbench_gbench and the suite use: nothing at all.
struct NoHooks {
  static constexpr bool kDelaysReplies = false;
  NoHooks(std::string_view /*transport*/, Role /*role*/, ControlBlock& /*control*/) noexcept {}
  void at_phase(Phase /*phase*/) noexcept {}
  void on_request() noexcept {}
};

// The server side of a host-mode session: the server's supervisor cannot see the remote
// client's progress, so the server publishes its own, one relaxed store per message to a
// line nobody else writes.
class ServeHooks {
 public:
  static constexpr bool kDelaysReplies = false;
  ServeHooks(std::string_view /*transport*/, Role /*role*/, ControlBlock& control) noexcept : control_(&control) {}
  void at_phase(Phase /*phase*/) noexcept {}
  void on_request() noexcept { control_->progress.store(++requests_, std::memory_order_relaxed); }

 private:
  ControlBlock* control_;
  std::uint64_t requests_ = 0;
};

static_assert(SideHooks<NoHooks> && SideHooks<ServeHooks>);

}  // namespace ipcbench
