// CSV rows: identity, measurement, spread, manifest, in the order of docs/csv-schema.md.
#include "harness/csv_reporter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <fmt/format.h>

namespace ipcbench {
namespace {

constexpr std::string_view kHeader =
    "run_id,transport,mode,placement,payload_bytes,row,repetition,status,reason,wait,"
    "round_trips,elapsed_ns,msgs_per_s,latency_round_trips,"
    "rtt_min_ns,rtt_p50_ns,rtt_p90_ns,rtt_p99_ns,rtt_p999_ns,rtt_p9999_ns,rtt_max_ns,rtt_mean_ns,rtt_stddev_ns,"
    "cpu_client_ns_per_rt,cpu_server_ns_per_rt,vcsw_client_per_rt,ivcsw_client_per_rt,vcsw_server_per_rt,"
    "ivcsw_server_per_rt,client_cpu,server_cpu,lost,floor_rtt_ns,floor_ratio,"
    "msgs_per_s_min,msgs_per_s_max,msgs_per_s_cv,rtt_p50_ns_min,rtt_p50_ns_max,rtt_p50_ns_cv,stable,"
    "cpu_model,cpu_count,kernel,virtualization,governor,compiler,compiler_flags,build_type,sanitizer,"
    "ipcbench_version,git_commit,timer_source,timer_overhead_ns,cpus";

std::string number(double value) { return fmt::format("{:.6g}", value); }
std::string integer(double value) { return fmt::format("{:.0f}", value); }

// Empty when the side's usage is unknown (a server killed after the client finished).
std::string usage_field(const SideUsage& side, double SideUsage::*field) {
  return side.known ? number(side.*field) : "";
}

}  // namespace

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string csv_header() { return std::string(kHeader); }

std::string csv_row(const CellRecord& record, const RepResult& r, std::string_view row_kind, int repetition,
                    Status status, std::string_view reason, const CellAggregate* aggregate) {
  const CellSpec& cell = record.spec;
  const bool measured = status == Status::ok || (aggregate && aggregate->repetitions_ok > 0);
  std::string row = fmt::format("{},{},{},{},{},{},{},{},{},", csv_field(cell.transport), to_string(cell.mode),
                                to_string(cell.placement), cell.payload_bytes, row_kind, repetition,
                                to_string(status), csv_field(reason), to_string(r.wait));
  if (measured) {
    const LatencySummary& l = r.latency;
    row += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},", r.round_trips, r.elapsed_ns, number(r.msgs_per_s),
                       l.round_trips, integer(l.min_ns), integer(l.p50_ns), integer(l.p90_ns), integer(l.p99_ns),
                       integer(l.p999_ns), integer(l.p9999_ns), integer(l.max_ns), number(l.mean_ns),
                       number(l.stddev_ns));
    row += fmt::format("{},{},{},{},{},{},{},{},", usage_field(r.client, &SideUsage::cpu_ns_per_rt),
                       usage_field(r.server, &SideUsage::cpu_ns_per_rt),
                       usage_field(r.client, &SideUsage::voluntary_switches_per_rt),
                       usage_field(r.client, &SideUsage::involuntary_switches_per_rt),
                       usage_field(r.server, &SideUsage::voluntary_switches_per_rt),
                       usage_field(r.server, &SideUsage::involuntary_switches_per_rt), r.client.cpu, r.server.cpu);
    row += fmt::format("{},{},{},", r.lost, r.floor_rtt_ns > 0 ? number(r.floor_rtt_ns) : "",
                       r.floor_ratio > 0 ? number(r.floor_ratio) : "");
  } else {
    row += std::string(13 + 8 + 3, ',');
  }
  if (aggregate && aggregate->repetitions_ok > 0) {
    row += fmt::format("{},{},{},{},{},{},{}", number(aggregate->msgs_per_s.min), number(aggregate->msgs_per_s.max),
                       number(aggregate->msgs_per_s.cv), integer(aggregate->rtt_p50_ns.min),
                       integer(aggregate->rtt_p50_ns.max), number(aggregate->rtt_p50_ns.cv), aggregate->stable ? 1 : 0);
  } else {
    row += std::string(6, ',');
  }
  return row;
}

CsvReporter::CsvReporter(const std::string& path)
    : path_(path), file_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) {
  if (!file_) throw fmt::system_error(errno, "cannot open CSV output '{}'", path);
  if (!write_row(csv_header())) throw fmt::system_error(errno, "cannot write CSV output '{}'", path);
}

void CsvReporter::on_start(const Manifest& m, std::span<const CellRecord>) {
  manifest_fields_ = fmt::format(
      "{},{},{},{},{},{},{},{},{},{},{},{},{},{}", csv_field(m.cpu_model), m.cpu_count, csv_field(m.kernel),
      csv_field(m.virtualization), csv_field(m.governor), csv_field(m.compiler), csv_field(m.compiler_flags),
      csv_field(m.build_type), csv_field(m.sanitizer), csv_field(m.ipcbench_version), csv_field(m.git_commit),
      m.timer_source, number(m.timer_overhead_ns), m.cpus);
  run_id_ = m.run_id;
}

void CsvReporter::on_repetition(const CellRecord& record, int repetition) {
  const RepResult& r = record.repetitions.back();
  write_row(fmt::format("{},{},{}", run_id_, csv_row(record, r, "rep", repetition, r.status, r.reason, nullptr),
                        manifest_fields_));
}

void CsvReporter::on_cell_done(const CellRecord& record) {
  const CellAggregate& a = record.aggregate;
  write_row(fmt::format("{},{},{}", run_id_,
                        csv_row(record, a.median, "aggregate", a.repetitions_ok, a.status, a.reason, &a),
                        manifest_fields_));
}

// One write per row, straight to the file: an interrupted run leaves whole rows only.
bool CsvReporter::write_row(const std::string& row) {
  if (!error_.empty()) return false;
  const std::string line = row + "\r\n";
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(file_.get(), line.data() + done, line.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0 || errno != EINTR) {
      const int error = n < 0 ? errno : ENOSPC;
      error_ = fmt::format("cannot write CSV output '{}': {}", path_, std::generic_category().message(error));
      cut_partial_row(done);
      errno = error;
      return false;
    }
  }
  whole_rows_bytes_ += line.size();
  return true;
}

// A full disk can take half a row; the file is cut back to its last whole row. A device or a
// pipe cannot be cut, and has nothing to cut.
void CsvReporter::cut_partial_row(std::size_t written) noexcept {
  if (written > 0 && ::ftruncate(file_.get(), static_cast<off_t>(whole_rows_bytes_)) != 0) {
  }
}

}  // namespace ipcbench
