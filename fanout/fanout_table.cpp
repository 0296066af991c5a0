// The fan-out table: one row per mechanism, subscriber count, placement and pace; what the columns mean once, below it.
#include "fanout/fanout_table.hpp"

#include <fmt/format.h>

#include "harness/parse.hpp"
#include "harness/schema.hpp"

namespace ipcbench {
namespace {

constexpr std::string_view kRow = "{:<13} | {:>4} | {:<5} | {:<5} | {:>8} | {:>9} | {:>9} | {:>9} | {:>9} | {:>9} | {:>9} | {:>8} | {:>8}\n";

std::string latency(const Metrics& m, Metric metric) { return m.known(metric) ? format_duration_ns(m[metric]) : "-"; }
std::string cpu(const Metrics& m, Metric metric) { return m.known(metric) ? format_duration_ns(m[metric]) : "-"; }
std::string pace(const CellSpec& s) { return s.offered_rps ? format_rate(*s.offered_rps) : "lockstep"; }

std::string loss(const Metrics& m) {
  const double lost = m.or_zero(Metric::lost_deliveries);
  if (lost == 0) return "0";
  return fmt::format("{:.0f} ({:.2g}%)", lost, 100 * m.or_zero(Metric::loss_ratio));
}

}  // namespace

void FanoutTableReporter::on_start(const Manifest& manifest, std::span<const CellRecord>) {
  fmt::print(out_, "ipcbench fanout on {} ({} CPUs, {}); one publisher, every message to every subscriber\n", manifest.cpu_model,
             manifest.cpu_count, manifest.kernel);
  fmt::print(out_, fmt::runtime(kRow), "Mechanism", "Subs", "Place", "Wait", "Sent", "Rate/s", "first p50", "first p99",
             "last p50", "last p99", "last max", "Lost", "CPU/msg");
  std::fflush(out_);
}

void FanoutTableReporter::on_cell_done(const CellRecord& cell) {
  const CellSpec& s = cell.spec;
  const std::string place{to_string(s.placement)};
  if (cell.aggregate.status != Status::ok) {
    notes_.push_back(fmt::format("{} x{} {}: {}: {}", s.transport, s.subscribers, place, to_string(cell.aggregate.status),
                                 cell.aggregate.reason));
    fmt::print(out_, fmt::runtime(kRow), s.transport, s.subscribers, place, "", pace(s),
               fmt::format("{} [{}]", to_string(cell.aggregate.status), notes_.size()), "", "", "", "", "", "", "");
    std::fflush(out_);
    return;
  }
  const RepResult& r = cell.aggregate.median;
  const Metrics& m = r.metrics;
  fmt::print(out_, fmt::runtime(kRow), s.transport, s.subscribers, place, to_string(r.wait), pace(s),
             format_rate(m.or_zero(Metric::published_per_s)), latency(m, Metric::first_p50_ns), latency(m, Metric::first_p99_ns),
             latency(m, Metric::last_p50_ns), latency(m, Metric::last_p99_ns), latency(m, Metric::last_max_ns), loss(m),
             fmt::format("{}/{}", cpu(m, Metric::cpu_publisher_ns_per_msg), cpu(m, Metric::cpu_subscriber_ns_per_msg)));
  std::fflush(out_);
}

void FanoutTableReporter::on_finish(std::span<const CellRecord>) {
  fmt::print(out_,
             "\nRate/s: messages per second with the publisher at most {} ahead of the slowest subscriber, until the last one had "
             "the last message.\nfirst/last: from a message's send (under a paced rate, its due time) to its read by the first "
             "and by the last subscriber; lockstep: each message sent once every subscriber has the one before.\nLost: "
             "deliveries (message x subscriber) that never arrived; shm-ring and unix-dgram hold the publisher back instead "
             "of losing.\nWait yield: subscribers that poll share a CPU, with each other or with the publisher, and give it "
             "up on every turn.\nCPU/msg: the publisher's and one subscriber's (their mean) process CPU per message in the "
             "rate pass.\n",
             window_);
  for (std::size_t i = 0; i < notes_.size(); ++i) fmt::print(out_, "[{}] {}\n", i + 1, notes_[i]);
  std::fflush(out_);
}

}  // namespace ipcbench
