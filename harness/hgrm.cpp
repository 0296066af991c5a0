// The .hgrm layout: HdrHistogram's outputPercentileDistribution columns, values scaled to milliseconds.
#include "harness/hgrm.hpp"

#include <cmath>
#include <fmt/format.h>
#include <iterator>

namespace ipcbench {
namespace {

constexpr double kNsPerMs = 1e6;
constexpr int kTicksPerHalfDistance = 5;

double ms(double ns) { return ns / kNsPerMs; }

}  // namespace

std::string hgrm_text(const LatencyHistogram& h) {
  std::string out;
  auto line = std::back_inserter(out);
  fmt::format_to(line, "{:>12} {:>14} {:>10} {:>14}\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
  if (h.count() > 0) {
    double level = 0;
    while (level < 100) {
      const PercentilePoint point = h.percentile_point(level);
      fmt::format_to(line, "{:12.6f} {:14.12f} {:10d} {:14.2f}\n", ms(static_cast<double>(point.value)), level / 100,
                     point.count_at_or_below, 100 / (100 - level));
      if (point.count_at_or_below >= h.count()) break;
      // Each halving of the distance to 100% gets the same number of lines.
      const double halvings = std::floor(std::log2(100 / (100 - level)));
      level += 100 / (kTicksPerHalfDistance * std::exp2(halvings + 1));
    }
    fmt::format_to(line, "{:12.6f} {:14.12f} {:10d} {:>14}\n", ms(static_cast<double>(h.max())), 1.0, h.count(), "inf");
  }
  fmt::format_to(line, "#[Mean    = {:12.6f}, StdDeviation   = {:12.6f}]\n", ms(h.mean()), ms(h.stddev()));
  fmt::format_to(line, "#[Max     = {:12.6f}, Total count    = {:12d}]\n", ms(static_cast<double>(h.max())), h.count());
  fmt::format_to(line, "#[Buckets = {:12d}, SubBuckets     = {:12d}]\n",
                 LatencyHistogram::kBucketCount / LatencyHistogram::kSubBuckets, LatencyHistogram::kSubBuckets);
  return out;
}

}  // namespace ipcbench
