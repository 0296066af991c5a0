// Renders the seed table: rows per transport and mode, a column group per placement, footnotes for the exceptions.
#include "harness/table_reporter.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <utility>

#include "harness/parse.hpp"

namespace ipcbench {
namespace {

std::string_view placement_heading(Placement p) {
  switch (p) {
    case Placement::cross: return "2 CPUs";
    case Placement::same: return "1 CPU";
    case Placement::none: return "unpinned";
  }
  return "?";
}

struct Table {
  std::vector<std::vector<std::string>> rows;  // the first row is the heading
  std::vector<bool> separator_before;
};

std::string render(const Table& t) {
  std::vector<std::size_t> width(t.rows.front().size(), 0);
  for (const auto& row : t.rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string rule;
  for (std::size_t c = 0; c < width.size(); ++c) rule += std::string(width[c] + (c ? 2 : 1), '-') + (c + 1 < width.size() ? "+" : "");
  std::string text;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    if (r == 1 || (r > 1 && t.separator_before[r])) text += rule + "\n";
    std::string line;
    for (std::size_t c = 0; c < t.rows[r].size(); ++c)
      line += fmt::format("{}{:<{}}{}", c ? " " : "", t.rows[r][c], width[c], c + 1 < width.size() ? " |" : "");
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + "\n";
  }
  return text;
}

// The least and most of one metric over the cells of a size that have it (0, 0 if none has).
std::pair<double, double> metric_range(std::span<const CellRecord> cells, std::size_t size, Metric metric) {
  double least = 0, most = 0;
  for (const CellRecord& c : cells) {
    const Metrics& m = c.aggregate.median.metrics;
    if (c.spec.payload_bytes != size || c.aggregate.status != Status::ok || !m.known(metric)) continue;
    least = least == 0 ? m[metric] : std::min(least, m[metric]);
    most = std::max(most, m[metric]);
  }
  return {least, most};
}

std::string format_range_ns(std::pair<double, double> range) {
  const auto [least, most] = range;
  return fmt::format("{:.0f}", least) == fmt::format("{:.0f}", most) ? fmt::format("{:.0f} ns", most)
                                                                     : fmt::format("{:.0f}-{:.0f} ns", least, most);
}

// The percentiles carry what timing a round trip costs, and move in the clock's steps: say
// how much, for the cells shown. A step under a nanosecond is not worth the line's length.
std::string timer_note(std::span<const CellRecord> cells, std::size_t size) {
  const auto cost = metric_range(cells, size, Metric::latency_timer_ns);
  if (cost.second == 0) return {};
  std::string note = fmt::format("p50/p99 RTT: one timestamp per round trip, which adds {} to each (latency_timer_ns)",
                                 format_range_ns(cost));
  const auto step = metric_range(cells, size, Metric::latency_timer_step_ns);
  if (step.second >= 1) note += fmt::format("; its clock moves in steps of {} (latency_timer_step_ns)", format_range_ns(step));
  return note + ".\n";
}

// 64 B and a sequence word are more than a line: the floor then moves as many lines, and
// the ratio to it is harness cost only because it does.
std::string multi_line_floor_note(std::span<const CellRecord> cells) {
  std::map<std::size_t, double> lines_of_size;
  for (const CellRecord& c : cells) {
    const Metrics& m = c.aggregate.median.metrics;
    if (c.aggregate.status == Status::ok && m.or_zero(Metric::floor_lines) > 1)
      lines_of_size[c.spec.payload_bytes] = m[Metric::floor_lines];
  }
  std::string text;
  for (const auto& [size, lines] : lines_of_size)
    text += fmt::format(
        "floor at {}: the message and its 8-byte sequence word fill {:.0f} cache lines each way, so that floor moves\n"
        "       {:.0f} lines each way too; one line is the floor only of messages that fit in one.\n",
        format_size(size), lines, lines);
  return text;
}

}  // namespace

std::string render_seed_table(std::span<const CellRecord> cells, const Manifest& manifest) {
  std::vector<std::size_t> sizes;
  std::vector<Placement> placements;
  for (const CellRecord& c : cells) {
    if (std::find(sizes.begin(), sizes.end(), c.spec.payload_bytes) == sizes.end()) sizes.push_back(c.spec.payload_bytes);
    if (std::find(placements.begin(), placements.end(), c.spec.placement) == placements.end())
      placements.push_back(c.spec.placement);
  }
  std::sort(placements.begin(), placements.end());
  const bool all_host = std::all_of(cells.begin(), cells.end(), [](const CellRecord& c) { return c.spec.mode == Mode::host; });

  std::string text;
  std::vector<std::string> notes;
  for (std::size_t size : sizes) {
    Table table;
    std::vector<std::string> heading{"Method", "Same Process"};
    for (Placement p : placements) {
      // Host mode has one placement, none, which says nothing: each side pins itself if told.
      heading.push_back(all_host ? std::string("Msgs/sec") : fmt::format("Msgs/sec {}", placement_heading(p)));
      heading.push_back("p50 RTT");
      heading.push_back("p99 RTT");
    }
    table.rows.push_back(heading);
    table.separator_before.push_back(false);

    // Methods in the order the cells were listed (the registry's), modes thread then process.
    std::vector<std::string> methods;
    for (const CellRecord& c : cells)
      if (c.spec.payload_bytes == size && std::find(methods.begin(), methods.end(), method_of(c.spec)) == methods.end())
        methods.push_back(method_of(c.spec));
    for (const std::string& name : methods) {
      bool first = true;
      for (Mode mode : {Mode::thread, Mode::process, Mode::host}) {
        std::vector<std::string> row{first ? name : "", mode == Mode::thread ? "Y" : mode == Mode::process ? "N" : "host"};
        bool any = false;
        for (Placement p : placements) {
          const auto it = std::find_if(cells.begin(), cells.end(), [&](const CellRecord& c) {
            return method_of(c.spec) == name && c.spec.mode == mode && c.spec.placement == p && c.spec.payload_bytes == size;
          });
          if (it == cells.end() || !it->done) {
            row.insert(row.end(), {"", "", ""});
            continue;
          }
          any = true;
          const CellAggregate& a = it->aggregate;
          if (a.status != Status::ok) {
            notes.push_back(fmt::format("{} {} {} {}: {}: {}", name, to_string(mode), to_string(p), format_size(size),
                                        to_string(a.status), a.reason));
            row.insert(row.end(), {fmt::format("{} [{}]", a.status == Status::failed ? "FAILED" : "skipped", notes.size()), "", ""});
            continue;
          }
          const Metrics& m = a.median.metrics;
          std::string rate = format_rate(m.or_zero(Metric::msgs_per_s));
          if (m.known(Metric::floor_ratio)) rate += fmt::format(" ({:.2f}x floor)", m[Metric::floor_ratio]);
          if (a.median.wait == WaitKind::yield) rate += " yield";
          if (m.or_zero(Metric::lost) > 0) rate += fmt::format(" ({:.0f} lost)", m[Metric::lost]);
          if (!a.stable) rate += " ~";
          row.push_back(rate);
          row.push_back(format_duration_ns(m.or_zero(Metric::rtt_p50_ns)));
          row.push_back(format_duration_ns(m.or_zero(Metric::rtt_p99_ns)));
        }
        if (!any) continue;
        table.rows.push_back(row);
        table.separator_before.push_back(first);
        first = false;
      }
    }
    text += fmt::format("Payload {} each way; medians of the repetitions; RTT = round-trip time.\n", format_size(size));
    text += render(table);
    text += timer_note(cells, size) + "\n";
  }
  if (std::any_of(cells.begin(), cells.end(), [](const CellRecord& c) { return c.aggregate.median.metrics.known(Metric::floor_ratio); }))
    text += fmt::format(
        "floor: mean round trip over the cache-line round trip between CPUs {} (ipcbench limits), measured just\n"
        "       before and after each repetition, so that a phase of the host moves both alike.\n",
        manifest.cpus);
  text += multi_line_floor_note(cells);
  const auto any = [&](auto predicate) { return std::any_of(cells.begin(), cells.end(), predicate); };
  if (any([](const CellRecord& c) { return c.aggregate.status == Status::ok && c.aggregate.median.wait == WaitKind::yield; }))
    text += "yield: both sides on one CPU, so the spinner waited with sched_yield().\n";
  if (any([](const CellRecord& c) { return c.spec.wait == WaitPolicy::busy_poll; }))
    text += "busy-poll: descriptors non-blocking, a call that would block tried again at once (--wait); on two CPUs only.\n";
  if (any([](const CellRecord& c) { return c.aggregate.status == Status::ok && !c.aggregate.stable; }))
    text += "~: repetitions varied by more than 10%.\n";
  if (any([](const CellRecord& c) { return c.spec.mode == Mode::host; }))
    text += "host: ipcbench ping to ipcbench serve; each side pinned only where told (--cpus), and the server's\n"
            "      manifest is in the CSV's server_* columns.\n";
  for (std::size_t i = 0; i < notes.size(); ++i) text += fmt::format("[{}] {}\n", i + 1, notes[i]);
  return text;
}

void TableReporter::on_finish(std::span<const CellRecord> cells) {
  const std::string text = render_seed_table(cells, manifest_);
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
}

}  // namespace ipcbench
