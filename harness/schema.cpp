// The one table of result columns; the CSV header, the CSV rows, the JSON rows and `ipcbench schema` all iterate it.
#include "harness/schema.hpp"

#include <cmath>
#include <fmt/format.h>

namespace ipcbench {
namespace {

Value text(std::string_view value) { return std::string(value); }
Value integer(std::int64_t value) { return value; }

Value metric_value(const Metrics& metrics, const MetricInfo& info) {
  if (!metrics.known(info.metric)) return {};
  const double value = metrics[info.metric];
  if (info.integer) return static_cast<std::int64_t>(std::llround(value));
  return value;
}

struct ManifestField {
  std::string_view name;
  std::string_view unit;
  std::string_view meaning;
  Value (*value)(const Manifest&);
};

const ManifestField kManifestFields[] = {
    {"cpu_model", "", "CPU model from /proc/cpuinfo", [](const Manifest& m) { return text(m.cpu_model); }},
    {"cpu_count", "count", "CPUs online", [](const Manifest& m) { return integer(m.cpu_count); }},
    {"kernel", "", "uname: system and release", [](const Manifest& m) { return text(m.kernel); }},
    {"virtualization", "", "from CPUID's hypervisor bit and vendor; none on bare metal",
     [](const Manifest& m) { return text(m.virtualization); }},
    {"governor", "", "cpufreq scaling governor of the first CPU used", [](const Manifest& m) { return text(m.governor); }},
    {"compiler", "", "compiler that built ipcbench", [](const Manifest& m) { return text(m.compiler); }},
    {"compiler_flags", "", "its flags", [](const Manifest& m) { return text(m.compiler_flags); }},
    {"build_type", "", "CMake build type", [](const Manifest& m) { return text(m.build_type); }},
    {"sanitizer", "", "sanitizer built in, or empty", [](const Manifest& m) { return text(m.sanitizer); }},
    {"ipcbench_version", "", "ipcbench version", [](const Manifest& m) { return text(m.ipcbench_version); }},
    {"git_commit", "", "git commit built", [](const Manifest& m) { return text(m.git_commit); }},
    {"timer_source", "", "tsc (lfence+rdtsc calibrated against CLOCK_MONOTONIC_RAW) or steady_clock",
     [](const Manifest& m) { return text(m.timer_source); }},
    {"timer_overhead_ns", "ns", "cost of one timestamp read, measured at start-up",
     [](const Manifest& m) -> Value { return m.timer_overhead_ns; }},
    {"cpus", "", "the CPUs used for placement, A;B", [](const Manifest& m) { return text(m.cpus); }},
    {"hostname", "", "the machine's host name", [](const Manifest& m) { return text(m.hostname); }},
};

const CellAggregate* aggregate_of(const RowView& row) { return row.aggregate_row ? &row.record.aggregate : nullptr; }

std::vector<Column> build_columns() {
  std::vector<Column> c;
  c.push_back({"run_id", "", ColumnKind::run, "unique per invocation (time and pid)",
               [](const RowView& r) { return text(r.run_id); }});
  c.push_back({"transport", "", ColumnKind::key, "CLI name, e.g. shm-spin", [](const RowView& r) { return text(r.record.spec.transport); }});
  c.push_back({"mode", "", ColumnKind::key, "thread, process or host", [](const RowView& r) { return text(to_string(r.record.spec.mode)); }});
  c.push_back({"placement", "", ColumnKind::key, "cross (two CPUs), same (one CPU) or none (not chosen by ipcbench; host mode)",
               [](const RowView& r) { return text(to_string(r.record.spec.placement)); }});
  c.push_back({"payload_bytes", "bytes", ColumnKind::key, "payload carried each way per round trip (framing not included)",
               [](const RowView& r) { return integer(static_cast<std::int64_t>(r.record.spec.payload_bytes)); }});
  c.push_back({"server", "", ColumnKind::key, "host mode: the server's HOST:PORT as given to ping; empty otherwise",
               [](const RowView& r) { return text(r.record.spec.server); }});
  c.push_back({"wait_policy", "", ColumnKind::key, "busy-poll when the run asked for it (--wait); empty: the transport's own wait",
               [](const RowView& r) { return text(r.record.spec.wait == WaitPolicy::busy_poll ? "busy-poll" : ""); }});
  c.push_back({"architecture", "", ColumnKind::key, "load: the server architecture, or external for --connect",
               [](const RowView& r) { return text(r.record.spec.architecture); }});
  c.push_back({"workload", "", ColumnKind::key, "load: echo, kv, churn or http", [](const RowView& r) { return text(r.record.spec.workload); }});
  c.push_back({"connections", "count", ColumnKind::key, "load: connections asked for (churn: concurrent slots)",
               [](const RowView& r) -> Value {
                 if (r.record.spec.connections == 0) return {};
                 return integer(static_cast<std::int64_t>(r.record.spec.connections));
               }});
  c.push_back({"offered_rps", "1/s", ColumnKind::key,
               "load: the offered rate; 0 is the closed loop (--rate max). fanout: the latency pass's paced rate; empty: "
               "each message sent once the last subscriber has the one before",
               [](const RowView& r) -> Value {
                 if (!r.record.spec.offered_rps) return {};
                 return *r.record.spec.offered_rps;
               }});
  c.push_back({"subscribers", "count", ColumnKind::key, "fanout: subscribers the publisher sends every message to",
               [](const RowView& r) -> Value {
                 if (r.record.spec.subscribers == 0) return {};
                 return integer(static_cast<std::int64_t>(r.record.spec.subscribers));
               }});
  c.push_back({"row", "", ColumnKind::row, "rep or aggregate", [](const RowView& r) { return text(r.aggregate_row ? "aggregate" : "rep"); }});
  c.push_back({"repetition", "count", ColumnKind::row, "1-based on rep rows; on aggregate rows the repetitions that succeeded",
               [](const RowView& r) { return integer(r.repetition); }});
  c.push_back({"status", "", ColumnKind::row, "ok, failed or skipped", [](const RowView& r) { return text(to_string(r.status)); }});
  c.push_back({"reason", "", ColumnKind::row, "why a cell failed or was skipped; empty when ok", [](const RowView& r) { return text(r.reason); }});
  c.push_back({"wait", "", ColumnKind::row, "how the endpoints waited: spin, yield (a spinner on one CPU), spin-yield, block, none, busy-poll",
               [](const RowView& r) { return text(to_string(r.result.wait)); }});
  c.push_back({"client_cpu", "", ColumnKind::row, "the CPU the client (fanout: the publisher) ran on at its end; -1 if unknown",
               [](const RowView& r) { return integer(r.result.client_cpu); }});
  c.push_back({"server_cpu", "", ColumnKind::row, "the CPU the server (fanout: the first subscriber) ran on at its end; -1 if unknown",
               [](const RowView& r) { return integer(r.result.server_cpu); }});
  for (const MetricInfo& info : kMetrics)
    c.push_back({std::string(info.name), info.unit, ColumnKind::metric, info.meaning,
                 [&info](const RowView& r) { return metric_value(r.result.metrics, info); }});
  for (const MetricInfo& info : kMetrics) {
    if (!info.spread) continue;
    const std::size_t index = static_cast<std::size_t>(info.metric);
    const auto part = [index](double Spread::*field) {
      return [index, field](const RowView& r) -> Value {
        const CellAggregate* a = aggregate_of(r);
        if (!a || a->repetitions_ok == 0) return {};
        return a->spreads[index].*field;
      };
    };
    c.push_back({fmt::format("{}_min", info.name), info.unit, ColumnKind::spread, "the lowest repetition's value", part(&Spread::min)});
    c.push_back({fmt::format("{}_max", info.name), info.unit, ColumnKind::spread, "the highest repetition's value", part(&Spread::max)});
    c.push_back({fmt::format("{}_cv", info.name), "ratio", ColumnKind::spread,
                 "coefficient of variation across repetitions (stddev/mean)", part(&Spread::cv)});
  }
  c.push_back({"stable", "flag", ColumnKind::spread, "1 when every coefficient of variation is at most 0.10, else 0",
               [](const RowView& r) -> Value {
                 const CellAggregate* a = aggregate_of(r);
                 if (!a || a->repetitions_ok == 0) return {};
                 return integer(a->stable ? 1 : 0);
               }});
  for (const ManifestField& field : kManifestFields)
    c.push_back({std::string(field.name), field.unit, ColumnKind::run, field.meaning,
                 [&field](const RowView& r) { return field.value(r.manifest); }});
  c.push_back({"config", "", ColumnKind::run, "the effective configuration as the command line that reproduces it (--print-config: as TOML)",
               [](const RowView& r) { return text(r.manifest.config); }});
  for (const ManifestField& field : kManifestFields)
    c.push_back({fmt::format("server_{}", field.name), field.unit, ColumnKind::server, field.meaning,
                 [&field](const RowView& r) -> Value {
                   return r.result.server_manifest ? field.value(*r.result.server_manifest) : Value{};
                 }});
  return c;
}

}  // namespace

std::string_view to_string(ColumnKind kind) noexcept {
  switch (kind) {
    case ColumnKind::key: return "key";
    case ColumnKind::row: return "row";
    case ColumnKind::metric: return "metric";
    case ColumnKind::spread: return "spread";
    case ColumnKind::run: return "run";
    case ColumnKind::server: return "server";
  }
  return "?";
}

const std::vector<Column>& columns() {
  static const std::vector<Column> kColumns = build_columns();
  return kColumns;
}

RowView repetition_row(std::string_view run_id, const Manifest& manifest, const CellRecord& record, int repetition) {
  const RepResult& r = record.repetitions.at(static_cast<std::size_t>(repetition - 1));
  return {run_id, manifest, record, r, false, repetition, r.status, r.reason};
}

RowView aggregate_row(std::string_view run_id, const Manifest& manifest, const CellRecord& record) {
  const CellAggregate& a = record.aggregate;
  return {run_id, manifest, record, a.median, true, a.repetitions_ok, a.status, a.reason};
}

std::vector<std::string> key_values(const CellRecord& record) {
  const Manifest no_manifest;
  const RowView row = aggregate_row("", no_manifest, record);
  std::vector<std::string> values;
  for (const Column& column : columns())
    if (column.kind == ColumnKind::key) values.push_back(to_text(column.value(row)));
  return values;
}

std::string csv_field(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string quoted = "\"";
  for (char ch : value) {
    if (ch == '"') quoted += '"';
    quoted += ch;
  }
  quoted += '"';
  return quoted;
}

std::string to_text(const Value& value) {
  struct Visit {
    std::string operator()(std::monostate) const { return {}; }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(std::int64_t n) const { return fmt::format("{}", n); }
    std::string operator()(double d) const { return fmt::format("{:.6g}", d); }
  };
  return std::visit(Visit{}, value);
}

}  // namespace ipcbench
