// The histogram's JSON form: buckets as inclusive value ranges, so a script needs no knowledge of the layout.
#include "harness/histogram_json.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <stdexcept>
#include <vector>

namespace ipcbench {
namespace {

using nlohmann::json;

template <class T>
T field(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_number())
    throw std::invalid_argument(fmt::format("histogram field '{}' is missing or not a number", name));
  if constexpr (std::is_integral_v<T>) {
    if (!it->is_number_unsigned()) throw std::invalid_argument(fmt::format("histogram field '{}' is not a count", name));
  }
  return it->get<T>();
}

}  // namespace

json histogram_to_json(const LatencyHistogram& h) {
  const HistogramTotals t = h.totals();
  json buckets = json::array();
  h.for_each_bucket([&](const HistogramBucket& b) { buckets.push_back({b.low, b.high, b.count}); });
  return {{"unit", "ns"},     {"count", t.count},           {"min", t.min},         {"max", t.max},
          {"sum", t.sum},     {"sum_squares", t.sum_squares}, {"buckets", std::move(buckets)}};
}

LatencyHistogram histogram_from_json(const json& object) {
  if (!object.is_object()) throw std::invalid_argument("a histogram is not an object");
  if (object.value("unit", "") != "ns") throw std::invalid_argument("a histogram's unit is not \"ns\"");
  const HistogramTotals totals{field<std::uint64_t>(object, "count"), field<std::uint64_t>(object, "min"),
                               field<std::uint64_t>(object, "max"), field<double>(object, "sum"),
                               field<double>(object, "sum_squares")};
  const auto buckets = object.find("buckets");
  if (buckets == object.end() || !buckets->is_array()) throw std::invalid_argument("a histogram has no 'buckets' array");
  std::vector<HistogramBucket> parsed;
  for (const json& b : *buckets) {
    if (!b.is_array() || b.size() != 3 || !b[0].is_number_unsigned() || !b[1].is_number_unsigned() ||
        !b[2].is_number_unsigned())
      throw std::invalid_argument(fmt::format("histogram bucket {} is not [low, high, count]", b.dump()));
    parsed.push_back({b[0].get<std::uint64_t>(), b[1].get<std::uint64_t>(), b[2].get<std::uint64_t>()});
  }
  return LatencyHistogram::rebuild(parsed, totals);
}

json histograms_to_json(const KeptHistograms& kept) {
  json object = json::object();
  for (const HistogramKindInfo& k : kHistogramKinds)
    if (const auto& h = kept[static_cast<std::size_t>(k.kind)]) object[std::string(k.name)] = histogram_to_json(*h);
  return object;
}

KeptHistograms histograms_from_json(const json& object) {
  KeptHistograms kept;
  if (!object.is_object()) throw std::invalid_argument("'histograms' is not an object");
  for (const auto& [name, value] : object.items()) {
    const HistogramKindInfo* kind = nullptr;
    for (const HistogramKindInfo& k : kHistogramKinds)
      if (k.name == name) kind = &k;
    if (!kind) {
      std::vector<std::string_view> names;
      for (const HistogramKindInfo& k : kHistogramKinds) names.push_back(k.name);
      throw std::invalid_argument(fmt::format("'{}' is not a histogram ipcbench writes ({})", name, fmt::join(names, ", ")));
    }
    try {
      kept[static_cast<std::size_t>(kind->kind)] = std::make_shared<const LatencyHistogram>(histogram_from_json(value));
    } catch (const std::invalid_argument& error) {
      throw std::invalid_argument(fmt::format("histogram '{}': {}", name, error.what()));
    }
  }
  return kept;
}

}  // namespace ipcbench
