// HdrHistogram's percentile-distribution text (.hgrm): what its plotter and wrk2's users read.
#pragma once

#include <string>

#include "harness/histogram.hpp"

namespace ipcbench {

// Value (milliseconds, to the nanosecond), Percentile, TotalCount, 1/(1-Percentile), at
// percentiles that halve the distance to 100% in five steps each, then the footer with
// mean, standard deviation, max and count.
std::string hgrm_text(const LatencyHistogram& h);

}  // namespace ipcbench
