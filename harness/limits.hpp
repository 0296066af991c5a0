// The physical floor: the round trip of one cache line between two CPUs, measured as c2clat does.
#pragma once

#include "harness/transport.hpp"

namespace ipcbench {

// Two threads pinned to cpu_a and cpu_b bounce one cache line (or, for `lines` not shared,
// as many lines each way as a message fills: the last one signals); the median of `samples`
// runs of `round_trips` each, in ns per round trip.
double cache_line_round_trip_ns(int cpu_a, int cpu_b, int round_trips = 100'000, int samples = 5,
                                CacheLines lines = {});

}  // namespace ipcbench
