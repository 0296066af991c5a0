// The fan-out entries, built from the one type list: type erasure once per cell, at the edge.
#include "fanout/registry.hpp"

#include <array>
#include <fmt/format.h>

#include "harness/parse.hpp"

namespace ipcbench {
namespace {

template <FanoutChannel... Channels>
constexpr auto make_entries(FanoutChannelList<Channels...>) {
  return std::array<FanoutEntry, sizeof...(Channels)>{FanoutEntry{Channels::kInfo, &run_fanout_repetition<Channels>}...};
}

const auto kEntries = make_entries(AllFanoutChannels{});

}  // namespace

std::span<const FanoutEntry> fanout_channels() { return kEntries; }

std::string fanout_channel_names() {
  std::string names;
  for (const FanoutEntry& e : kEntries) names += fmt::format("{}{}", names.empty() ? "" : ", ", e.info.name);
  return names;
}

const FanoutEntry& fanout_channel_named(std::string_view name) {
  for (const FanoutEntry& e : kEntries)
    if (e.info.name == name) return e;
  throw UsageError(fmt::format("unknown fan-out mechanism '{}' (valid: {}, or all)", name, fanout_channel_names()));
}

}  // namespace ipcbench
