// The JSON document: manifest, then each cell with its aggregate and repetitions.
#include "harness/json_reporter.hpp"

#include <cerrno>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>

namespace ipcbench {
namespace {

using nlohmann::json;

json to_json(const SideUsage& side) {
  if (!side.known) return nullptr;
  return {{"cpu_ns_per_rt", side.cpu_ns_per_rt},
          {"voluntary_switches_per_rt", side.voluntary_switches_per_rt},
          {"involuntary_switches_per_rt", side.involuntary_switches_per_rt},
          {"cpu", side.cpu}};
}

json to_json(const RepResult& r) {
  json j = {{"status", to_string(r.status)}, {"reason", r.reason}, {"wait", to_string(r.wait)}};
  if (r.status != Status::ok && r.round_trips == 0) return j;
  const LatencySummary& l = r.latency;
  j.update({{"round_trips", r.round_trips},
            {"elapsed_ns", r.elapsed_ns},
            {"msgs_per_s", r.msgs_per_s},
            {"latency_round_trips", l.round_trips},
            {"rtt_ns",
             {{"min", l.min_ns}, {"p50", l.p50_ns}, {"p90", l.p90_ns}, {"p99", l.p99_ns}, {"p999", l.p999_ns},
              {"p9999", l.p9999_ns}, {"max", l.max_ns}, {"mean", l.mean_ns}, {"stddev", l.stddev_ns}}},
            {"client", to_json(r.client)},
            {"server", to_json(r.server)},
            {"lost", r.lost},
            {"floor_rtt_ns", r.floor_rtt_ns > 0 ? json(r.floor_rtt_ns) : json(nullptr)},
            {"floor_ratio", r.floor_ratio > 0 ? json(r.floor_ratio) : json(nullptr)}});
  return j;
}

json to_json(const Manifest& m) {
  return {{"run_id", m.run_id},           {"cpu_model", m.cpu_model},
          {"cpu_count", m.cpu_count},     {"kernel", m.kernel},
          {"virtualization", m.virtualization}, {"governor", m.governor},
          {"compiler", m.compiler},       {"compiler_flags", m.compiler_flags},
          {"build_type", m.build_type},   {"sanitizer", m.sanitizer},
          {"ipcbench_version", m.ipcbench_version}, {"git_commit", m.git_commit},
          {"timer_source", m.timer_source}, {"timer_overhead_ns", m.timer_overhead_ns},
          {"cpus", m.cpus}};
}

}  // namespace

JsonReporter::JsonReporter(std::string path) : path_(std::move(path)) {
  std::ofstream probe(path_, std::ios::trunc);
  if (!probe) throw fmt::system_error(errno, "cannot open JSON output '{}'", path_);
}

void JsonReporter::on_finish(std::span<const CellRecord> cells) {
  json document = {{"manifest", to_json(manifest_)}, {"cells", json::array()}};
  for (const CellRecord& c : cells) {
    if (!c.done) continue;
    json repetitions = json::array();
    for (const RepResult& r : c.repetitions) repetitions.push_back(to_json(r));
    const CellAggregate& a = c.aggregate;
    json aggregate = to_json(a.median);
    aggregate["status"] = to_string(a.status);
    aggregate["reason"] = a.reason;
    aggregate["repetitions_ok"] = a.repetitions_ok;
    aggregate["stable"] = a.stable;
    aggregate["msgs_per_s_spread"] = {{"min", a.msgs_per_s.min}, {"max", a.msgs_per_s.max}, {"cv", a.msgs_per_s.cv}};
    aggregate["rtt_p50_ns_spread"] = {{"min", a.rtt_p50_ns.min}, {"max", a.rtt_p50_ns.max}, {"cv", a.rtt_p50_ns.cv}};
    document["cells"].push_back({{"transport", c.spec.transport},
                                 {"mode", to_string(c.spec.mode)},
                                 {"placement", to_string(c.spec.placement)},
                                 {"payload_bytes", c.spec.payload_bytes},
                                 {"aggregate", aggregate},
                                 {"repetitions", repetitions}});
  }
  std::ofstream out(path_, std::ios::trunc);
  out << document.dump(2) << '\n';
  if (!out) throw fmt::system_error(errno, "cannot write JSON output '{}'", path_);
}

}  // namespace ipcbench
