// The options of `ipcbench fanout`, the same on every system (its help and --print-config do not
// depend on whether this build has the fan-out mechanisms).
#include <fmt/format.h>

#include "fanout/channel.hpp"
#include "harness/app/fanout_command.hpp"

namespace ipcbench {

void add_fanout_options(CLI::App& cmd, FanoutOptions& o) {
  cmd.add_option("-t,--mechanisms", o.mechanisms, fmt::format("fan-out mechanisms, or all ({})", fanout_mechanism_names()));
  cmd.add_option("-n,--subscribers", o.subscribers, fmt::format("subscriber counts, e.g. 1,2,4,8 (at most {})", kMaxFanoutSubscribers));
  cmd.add_option("-s,--sizes", o.sizes, "message sizes, at least 8 B (the sequence), e.g. 64,1K");
  cmd.add_option("-p,--placement", o.placements,
                 "cross (publisher on the first CPU, subscribers on the others), same (all on one), none (unpinned)");
  cmd.add_option("--rate", o.rates, "the latency pass's pace: lockstep (each message once all have the last) or messages/s, e.g. 10K");
  cmd.add_option("--duration", o.duration, "of each of the two passes (rate, latency), e.g. 1s (default 500ms)");
  cmd.add_option("--repetitions", o.repetitions, "repetitions of every cell, run round-robin (default 3)");
  cmd.add_option("--warmup", o.warmup, "messages before the rate pass, not measured (default 1000)");
  cmd.add_option("--window", o.window, "rate pass: how many messages the publisher may be ahead of the slowest subscriber (default 32)");
  cmd.add_option("--cpus", o.cpus, "the CPUs to use, the publisher's first (default: every CPU this process may run on)");
  cmd.add_option("--timeout", o.timeout, "a subscriber that holds the publisher back this long fails the cell (default 2s)");
  cmd.add_flag("--verify", o.verify, "every subscriber checks every payload byte, not just the sequence");
  cmd.add_option("--csv", o.csv, "write every repetition and aggregate as CSV (docs/csv-schema.md)");
  cmd.add_option("--json", o.json, "write the same content as JSON, with each repetition's histogram buckets");
  cmd.add_option("--hgrm", o.hgrm, "write each cell's first- and last-subscriber distributions as DIR/<cell>.<histogram>.hgrm");
  cmd.add_option("--table", o.table, "fanout (default) or none");
  cmd.add_flag("-q,--quiet", o.quiet, "no progress line on stderr");
}

}  // namespace ipcbench
