// The fan-out mechanisms: one type list, and the table of entries (name, facts, run function) the CLI and the tests read.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "fanout/channel.hpp"
#include "fanout/datagram.hpp"
#include "fanout/fanout_cell.hpp"
#include "fanout/shm_ring.hpp"
#include "fanout/zeromq_pubsub.hpp"

namespace ipcbench {

template <FanoutChannel... Channels>
struct FanoutChannelList {};

// THE list of fan-out mechanisms, in the table's order.
using AllFanoutChannels = FanoutChannelList<ShmRing, UdpMulticast, ZeromqPubsub, UnixDatagram>;

struct FanoutEntry {
  FanoutInfo info;
  RepResult (*run)(const CellSpec& cell, const FanoutSettings& settings);
};

std::span<const FanoutEntry> fanout_channels();
// The entry of that name; UsageError naming the valid ones otherwise.
const FanoutEntry& fanout_channel_named(std::string_view name);
std::string fanout_channel_names();  // "shm-ring, udp-multicast, ..."

}  // namespace ipcbench
