// The workloads a load cell runs: what a request is, and what the server answers.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ipcbench {

enum class Workload : std::uint8_t {
  echo,   // N bytes, returned unchanged
  kv,     // the binary GET/SET/DEL protocol of servers/kv_wire.hpp
  churn,  // connect, one echo request, close
};

struct WorkloadInfo {
  Workload workload;
  std::string_view name;
  std::string_view meaning;
};

inline constexpr std::array kWorkloads{
    WorkloadInfo{Workload::echo, "echo", "N bytes back unchanged, many requests per connection"},
    WorkloadInfo{Workload::kv, "kv", "length-prefixed GET/SET/DEL against the server's in-memory store"},
    WorkloadInfo{Workload::churn, "churn", "connect, one echo request, close: connection-to-close time"},
};

[[nodiscard]] constexpr std::string_view to_string(Workload workload) noexcept {
  return kWorkloads[static_cast<std::size_t>(workload)].name;
}
[[nodiscard]] constexpr std::optional<Workload> workload_named(std::string_view name) noexcept {
  for (const WorkloadInfo& info : kWorkloads)
    if (info.name == name) return info.workload;
  return std::nullopt;
}
// What the server speaks: churn's requests are echo requests on short connections.
[[nodiscard]] constexpr bool speaks_kv(Workload workload) noexcept { return workload == Workload::kv; }

}  // namespace ipcbench
