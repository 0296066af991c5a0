// The options of `ipcbench load` and `serve --arch`, the same on every system (their help and
// --print-config do not depend on whether this build has the servers).
#include <fmt/format.h>

#include "harness/app/load_command.hpp"

namespace ipcbench {

void add_load_options(CLI::App& cmd, LoadOptions& o) {
  cmd.add_option("-a,--architectures", o.architectures, fmt::format("server architectures, or all ({})", server_architecture_names()));
  cmd.add_option("-c,--connections", o.connections, "connection counts, e.g. 1,100,1K,10K (churn: concurrent slots)");
  cmd.add_option("--rate", o.rates, "offered request rates, e.g. 10K,50K, and max for the closed loop");
  cmd.add_option("-w,--workloads", o.workloads, "echo, kv, churn or http (comma-separated)");
  cmd.add_option("-s,--sizes", o.sizes, "request payload sizes (echo, churn: at least 16 B; kv: the SET value; http: the response body)");
  cmd.add_option("--duration", o.duration, "measured window of each repetition, e.g. 5s");
  cmd.add_option("--warmup", o.warmup, "load before the window that is not measured (default 500ms)");
  cmd.add_option("--repetitions", o.repetitions, "repetitions of every cell, run round-robin");
  cmd.add_option("--slo", o.slo, "the bounds a cell must meet, e.g. p99=1ms,p999=5ms (default p99=1ms)");
  cmd.add_option("--connect", o.connect, "HOST:PORT of a server ipcbench did not start (an echo, kv or http server: nginx)");
  cmd.add_option("--server-cpus", o.server_cpus, "CPUs of the server process (default: the last allowed)");
  cmd.add_option("--generator-cpus", o.generator_cpus, "CPUs of the load generator (default: the first allowed)");
  cmd.add_option("--workers", o.workers, "pool: worker threads (default: one per server CPU)");
  cmd.add_option("--timeout", o.timeout, "a connect or a reply that takes longer is an error (default 2s)");
  cmd.add_option("--kv-keys", o.kv_keys, "kv: keys the requests choose from (default 10000)");
  cmd.add_option("--kv-get-ratio", o.kv_get_ratio, "kv: the share of GETs, the rest SETs (default 0.9)");
  cmd.add_option("--frame", o.frame, "with --connect and echo: ipcbench (default) or sockperf, whose server answers only its own header");
  cmd.add_option("--csv", o.csv, "write every repetition and aggregate as CSV (docs/csv-schema.md)");
  cmd.add_option("--json", o.json, "write the same content as JSON, with each repetition's histogram buckets");
  cmd.add_option("--hgrm", o.hgrm, "write each cell's latency distribution as DIR/<cell>.<histogram>.hgrm (HdrHistogram's text)");
  cmd.add_option("--table", o.table, "load (default) or none");
  cmd.add_flag("-q,--quiet", o.quiet, "no progress line on stderr");
}

void add_arch_serve_options(CLI::App& serve, ArchServeOptions& o) {
  serve.add_option("-a,--arch", o.architecture,
                   fmt::format("serve load clients with this architecture instead of ping sessions ({})", server_architecture_names()));
  serve.add_option("-w,--workload", o.workload, "with --arch: echo, kv or http (churn clients are served by echo)");
  serve.add_option("-s,--size", o.size, "with --arch and -w http: the response body, e.g. 1K (default 64)");
  serve.add_option("--workers", o.workers, "with --arch pool: worker threads");
}

}  // namespace ipcbench
