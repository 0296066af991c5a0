// The inverse of JsonReporter: key columns to a CellSpec, row and metric columns to a RepResult.
#include "harness/result_file.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "harness/histogram_json.hpp"
#include "harness/wire.hpp"

namespace ipcbench {
namespace {

using nlohmann::json;

[[noreturn]] void bad(std::string_view what) { throw std::invalid_argument(std::string(what)); }

const json& member(const json& object, std::string_view name) {
  static const json null;
  const auto it = object.find(name);
  return it == object.end() ? null : *it;
}

std::string text_of(const json& object, std::string_view name) {
  const json& value = member(object, name);
  if (value.is_null()) return {};
  if (!value.is_string()) bad(fmt::format("'{}' is {}, not text", name, value.dump()));
  return value.get<std::string>();
}

template <class Number>
Number number_of(const json& object, std::string_view name) {
  const json& value = member(object, name);
  if constexpr (std::is_integral_v<Number>) {
    // A whole number in the type's range: a float or an out-of-range count is a bad file, not a cast.
    const bool fits = value.is_number_unsigned()  ? std::in_range<Number>(value.get<std::uint64_t>())
                      : value.is_number_integer() ? std::in_range<Number>(value.get<std::int64_t>())
                                                  : false;
    if (!fits) bad(fmt::format("'{}' is {}, not a whole number that ipcbench writes", name, value.dump()));
  } else if (!value.is_number()) {
    bad(fmt::format("'{}' is {}, not a number", name, value.dump()));
  }
  return value.get<Number>();
}

// The enum whose to_string() is the text, out of the candidates.
template <class Enum, std::size_t N>
Enum enum_of(const json& object, std::string_view name, const std::array<Enum, N>& candidates) {
  const std::string value = text_of(object, name);
  for (Enum e : candidates)
    if (to_string(e) == value) return e;
  bad(fmt::format("'{}' is '{}', which ipcbench does not write", name, value));
}

CellSpec spec_of(const json& cell) {
  CellSpec spec;
  spec.transport = text_of(cell, "transport");
  spec.mode = enum_of(cell, "mode", std::array{Mode::thread, Mode::process, Mode::host});
  spec.placement = enum_of(cell, "placement", std::array{Placement::cross, Placement::same, Placement::none});
  spec.payload_bytes = number_of<std::size_t>(cell, "payload_bytes");
  spec.server = text_of(cell, "server");
  if (text_of(cell, "wait_policy") == to_string(WaitPolicy::busy_poll)) spec.wait = WaitPolicy::busy_poll;
  spec.architecture = text_of(cell, "architecture");
  spec.workload = text_of(cell, "workload");
  if (!member(cell, "connections").is_null()) spec.connections = number_of<std::size_t>(cell, "connections");
  if (!member(cell, "offered_rps").is_null()) spec.offered_rps = number_of<double>(cell, "offered_rps");
  return spec;
}

// Host mode: the server_* columns, the server's manifest by the same names.
std::optional<Manifest> server_manifest_of(const json& row) {
  constexpr std::string_view kPrefix = "server_";
  if (member(row, "server_hostname").is_null()) return std::nullopt;
  json manifest = json::object();
  for (const auto& [name, value] : row.items())
    if (name.starts_with(kPrefix) && name != "server_cpu") manifest[name.substr(kPrefix.size())] = value;
  manifest["run_id"] = "";
  return wire::manifest_from_json_text(manifest.dump());
}

RepResult repetition_of(const json& row) {
  RepResult r;
  r.status = enum_of(row, "status", std::array{Status::ok, Status::failed, Status::skipped});
  r.reason = text_of(row, "reason");
  r.wait = enum_of(row, "wait", std::array{WaitKind::spin, WaitKind::yield, WaitKind::spin_yield, WaitKind::block, WaitKind::none,
                                            WaitKind::busy_poll});
  r.client_cpu = number_of<int>(row, "client_cpu");
  r.server_cpu = number_of<int>(row, "server_cpu");
  for (const MetricInfo& info : kMetrics) {
    const json& value = member(row, info.name);
    if (value.is_null()) continue;
    if (!value.is_number()) bad(fmt::format("'{}' is {}, not a number", info.name, value.dump()));
    r.metrics.set(info.metric, value.get<double>());
  }
  if (const json& histograms = member(row, "histograms"); !histograms.is_null()) r.histograms = histograms_from_json(histograms);
  r.server_manifest = server_manifest_of(row);
  return r;
}

CellRecord cell_of(const json& cell) {
  if (!cell.is_object()) bad("a cell is not an object");
  CellRecord record{spec_of(cell), {}, {}, true};
  const json& repetitions = member(cell, "repetitions");
  if (!repetitions.is_array()) bad("a cell has no 'repetitions' array");
  for (const json& row : repetitions) record.repetitions.push_back(repetition_of(row));
  record.aggregate = aggregate(record.repetitions);
  if (record.repetitions.empty()) {
    // A skipped cell has no repetitions: its aggregate says why.
    const json& aggregate_row = member(cell, "aggregate");
    record.aggregate.status = enum_of(aggregate_row, "status", std::array{Status::ok, Status::failed, Status::skipped});
    record.aggregate.reason = text_of(aggregate_row, "reason");
  }
  return record;
}

}  // namespace

ResultFile read_result_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  const json document = json::parse(in, nullptr, false);
  if (document.is_discarded()) throw std::runtime_error(fmt::format("'{}' is not JSON", path));
  if (!document.is_object() || !document.contains("manifest") || !document["cells"].is_array())
    throw std::runtime_error(fmt::format("'{}' is not an ipcbench JSON result (no manifest and cells)", path));
  ResultFile file{path, {}, {}};
  try {
    json manifest = document["manifest"];
    const std::string config = text_of(manifest, "config");
    manifest.erase("config");
    file.manifest = wire::manifest_from_json_text(manifest.dump());
    file.manifest.config = config;
    for (std::size_t i = 0; i < document["cells"].size(); ++i) {
      try {
        file.cells.push_back(cell_of(document["cells"][i]));
      } catch (const std::exception& error) {
        throw std::invalid_argument(fmt::format("cell {}: {}", i + 1, error.what()));
      }
    }
  } catch (const std::exception& error) {
    throw std::runtime_error(fmt::format("'{}': {}", path, error.what()));
  }
  return file;
}

}  // namespace ipcbench
