// The workloads a load cell runs: what a request is, and what the server answers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ipcbench {

enum class Workload : std::uint8_t {
  echo,   // N bytes, returned unchanged
  kv,     // the binary GET/SET/DEL protocol of servers/kv_wire.hpp
  churn,  // connect, one echo request, close
  http,   // HTTP/1.1 keep-alive GETs of a static response (servers/http.hpp)
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
    WorkloadInfo{Workload::http, "http", "HTTP/1.1 keep-alive GET, a static 200 response of SIZE bytes of body"},
};

[[nodiscard]] constexpr std::string_view to_string(Workload workload) noexcept {
  return kWorkloads[static_cast<std::size_t>(workload)].name;
}
[[nodiscard]] constexpr std::optional<Workload> workload_named(std::string_view name) noexcept {
  for (const WorkloadInfo& info : kWorkloads)
    if (info.name == name) return info.workload;
  return std::nullopt;
}
// The names, for a usage error: "echo, kv, churn, http".
[[nodiscard]] inline std::string workload_names() {
  std::string names;
  for (const WorkloadInfo& info : kWorkloads) names.append(names.empty() ? "" : ", ").append(info.name);
  return names;
}

// The http workload's largest static response body.
inline constexpr std::size_t kMaxHttpBodyBytes = std::size_t{1} << 20;

// What the server speaks: churn's requests are echo requests on short connections.
enum class Speaks : std::uint8_t { echo, kv, http };
[[nodiscard]] constexpr Speaks protocol_of(Workload workload) noexcept {
  return workload == Workload::kv ? Speaks::kv : workload == Workload::http ? Speaks::http : Speaks::echo;
}

}  // namespace ipcbench
