// A histogram in the JSON results and back: its totals and non-empty buckets, enough for an exact merge.
#pragma once

#include <nlohmann/json.hpp>

#include "harness/kept_histograms.hpp"

namespace ipcbench {

// {"unit": "ns", "count", "min", "max", "sum", "sum_squares", "buckets": [[low, high, count], ...]}
nlohmann::json histogram_to_json(const LatencyHistogram& h);
// The inverse; std::invalid_argument says which field is missing or does not fit.
LatencyHistogram histogram_from_json(const nlohmann::json& object);

// {"rtt": {...}} or {"latency": {...}, "uncorrected": {...}}: the kinds a repetition kept.
nlohmann::json histograms_to_json(const KeptHistograms& kept);
KeptHistograms histograms_from_json(const nlohmann::json& object);

}  // namespace ipcbench
