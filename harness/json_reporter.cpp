// The JSON document: the manifest, then each cell with its key, aggregate and repetitions, every object from the schema's columns.
#include "harness/json_reporter.hpp"

#include <cerrno>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness/histogram_json.hpp"

namespace ipcbench {
namespace {

using nlohmann::json;

json to_json(const Value& value) {
  struct Visit {
    json operator()(std::monostate) const { return nullptr; }
    json operator()(const std::string& s) const { return s; }
    json operator()(std::int64_t n) const { return n; }
    json operator()(double d) const { return d; }
  };
  return std::visit(Visit{}, value);
}

// The row's columns of the given kinds, by name.
template <class Wanted>
json object_of(const RowView& row, Wanted wanted) {
  json object = json::object();
  for (const Column& column : columns())
    if (wanted(column.kind)) object[column.name] = to_json(column.value(row));
  return object;
}

bool per_row(ColumnKind kind) {
  return kind == ColumnKind::row || kind == ColumnKind::metric || kind == ColumnKind::spread || kind == ColumnKind::server;
}

}  // namespace

JsonReporter::JsonReporter(std::string path) : path_(std::move(path)) {
  std::ofstream probe(path_, std::ios::trunc);
  if (!probe) throw fmt::system_error(errno, "cannot open JSON output '{}'", path_);
}

void JsonReporter::on_finish(std::span<const CellRecord> cells) {
  const CellRecord no_cell;
  const auto is_run = [](ColumnKind k) { return k == ColumnKind::run; };
  json document = {{"manifest", object_of(aggregate_row(manifest_.run_id, manifest_, no_cell), is_run)},
                   {"cells", json::array()}};
  for (const CellRecord& c : cells) {
    if (!c.done) continue;
    const RowView aggregate = aggregate_row(manifest_.run_id, manifest_, c);
    json cell = object_of(aggregate, [](ColumnKind k) { return k == ColumnKind::key; });
    cell["aggregate"] = object_of(aggregate, per_row);
    cell["repetitions"] = json::array();
    for (std::size_t i = 1; i <= c.repetitions.size(); ++i) {
      json repetition = object_of(repetition_row(manifest_.run_id, manifest_, c, static_cast<int>(i)), per_row);
      json histograms = histograms_to_json(c.repetitions[i - 1].histograms);
      if (!histograms.empty()) repetition["histograms"] = std::move(histograms);
      cell["repetitions"].push_back(std::move(repetition));
    }
    document["cells"].push_back(std::move(cell));
  }
  std::ofstream out(path_, std::ios::trunc);
  // A reason can hold any bytes a peer or the OS gave it; the file must still be JSON.
  out << document.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
  if (!out) throw fmt::system_error(errno, "cannot write JSON output '{}'", path_);
}

}  // namespace ipcbench
