// The result schema: every column of the CSV and of the JSON rows, in one table of name, unit, kind, aggregation and meaning.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "harness/manifest.hpp"
#include "harness/results.hpp"

namespace ipcbench {

struct CellRecord {
  CellSpec spec;
  std::vector<RepResult> repetitions;
  CellAggregate aggregate;
  bool done = false;
};

// What a column is, which also says how an aggregate row gets its value:
//   key       names the cell; the same on every row of it (rows are keyed by all key columns)
//   row       the row's own (its kind, repetition, status, reason, where the sides ran)
//   metric    measured; an aggregate row holds the median of the successful repetitions
//   spread    aggregate rows only: min, max or coefficient of variation across repetitions
//   run       the same on every row of a file (the machine manifest)
//   server    host mode: the server's manifest, as it sent it; empty otherwise
enum class ColumnKind : std::uint8_t { key, row, metric, spread, run, server };
std::string_view to_string(ColumnKind kind) noexcept;

using Value = std::variant<std::monostate, std::string, std::int64_t, double>;

// One row as the reporters see it: a repetition, or a cell's aggregate.
struct RowView {
  std::string_view run_id;
  const Manifest& manifest;
  const CellRecord& record;
  const RepResult& result;
  bool aggregate_row;
  int repetition;  // aggregate rows: the number of successful repetitions
  Status status;
  std::string_view reason;
};

struct Column {
  std::string name;
  std::string_view unit;  // "ns", "1/s", "count", "bytes", "ratio", "flag", "" for text
  ColumnKind kind;
  std::string_view meaning;
  std::function<Value(const RowView&)> value;
};

// Every column, in the order of the CSV header.
const std::vector<Column>& columns();

RowView repetition_row(std::string_view run_id, const Manifest& manifest, const CellRecord& record, int repetition);
RowView aggregate_row(std::string_view run_id, const Manifest& manifest, const CellRecord& record);

// The cell's key columns as text, in column order, empty where a column is not set: what
// names a cell in a file name and matches it across results files.
std::vector<std::string> key_values(const CellRecord& record);

// Text of a value in a CSV field (RFC 4180 quoting) and as a plain string.
std::string csv_field(std::string_view text);
std::string to_text(const Value& value);

}  // namespace ipcbench
