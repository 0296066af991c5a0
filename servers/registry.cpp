// The registry of architectures, one entry per type of AllArchitectures.
#include "servers/registry.hpp"

#include <array>
#include <fmt/format.h>

#include "harness/parse.hpp"
#include "servers/all.hpp"
#include "servers/kv_store.hpp"

namespace ipcbench {
namespace {

template <ServerArchitecture A>
void serve_workload(const ServeContext& context, KvStore& store) {
  switch (protocol_of(context.settings().workload)) {
    case Speaks::kv: {
      KvProtocol kv(store);
      return A::serve(context, kv);
    }
    case Speaks::http: {
      HttpProtocol http(context.settings().http_body_bytes);
      return A::serve(context, http);
    }
    case Speaks::echo: {
      EchoProtocol echo;
      return A::serve(context, echo);
    }
  }
}

template <class... A>
constexpr auto make_entries(std::tuple<A...>*) {
  return std::array{ArchitectureEntry{A::kName, A::kDesign, &serve_workload<A>}...};
}

constexpr auto kEntries = make_entries(static_cast<AllArchitectures*>(nullptr));

}  // namespace

std::span<const ArchitectureEntry> architectures() noexcept { return kEntries; }

std::string architecture_names() {
  std::string names;
  for (const ArchitectureEntry& e : kEntries) names += fmt::format("{}{}", names.empty() ? "" : ", ", e.name);
  return names;
}

const ArchitectureEntry& architecture_named(std::string_view name) {
  for (const ArchitectureEntry& e : kEntries)
    if (e.name == name) return e;
  throw UsageError(fmt::format("unknown server architecture '{}' (valid: {})", name, architecture_names()));
}

}  // namespace ipcbench
