// The command line (CLI11) over the suite, the registry, host mode and the reporters.
#include "harness/app/cli.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <memory>
#include <string_view>
#include <vector>

#include "harness/app/cli_options.hpp"
#include "harness/app/config_file.hpp"
#include "harness/app/fanout_command.hpp"
#include "harness/app/load_command.hpp"
#include "harness/app/merge_command.hpp"
#include "harness/app/run_reported.hpp"
#if IPCBENCH_WITH_SERVERS
#include "fanout/registry.hpp"
#include "servers/registry.hpp"
#endif
#include "servers/workload.hpp"
#include "harness/clock.hpp"
#include "harness/csv_reporter.hpp"
#include "harness/host/serve.hpp"
#include "harness/json_reporter.hpp"
#include "harness/limits.hpp"
#include "harness/parse.hpp"
#include "harness/progress_reporter.hpp"
#include "harness/schema.hpp"
#include "harness/supervisor.hpp"
#include "harness/sys/affinity.hpp"
#include "harness/table_reporter.hpp"

namespace ipcbench {
namespace {

constexpr int kExitFailedCells = 1;
constexpr int kExitUsage = 2;

// An empty name is an unset shell variable (--csv "$OUT"), not a wish for no file.
const CLI::Validator kFileName([](std::string& name) { return name.empty() ? "expected a file name, got ''" : ""; }, "FILE");

// The options run and ping share; `host` leaves out what only thread and process mode have.
void add_measurement_options(CLI::App& cmd, RunOptions& o, bool host) {
  cmd.add_option("-t,--transports", o.transports,
                 host ? "comma-separated socket transports, or all (see `ipcbench list`)"
                      : "comma-separated transports, or all (see `ipcbench list`)");
  if (!host) {
    cmd.add_option("-m,--modes", o.modes, "thread,process");
    cmd.add_option("-p,--placement", o.placements, "cross (two CPUs), same (one CPU), none (scheduler's choice)");
    cmd.add_option("--wait", o.waits,
                   "own (each transport's own wait), busy-poll (its descriptors non-blocking, polled in a loop: the "
                   "transports whose Wait in `ipcbench list` says busy-poll, on two CPUs), or both");
    cmd.add_option("--cpus", o.cpus, "the two CPUs to pin to, A,B (default: the first two allowed)");
  } else {
    cmd.add_option("--connect", o.connect, "HOST:PORT where `ipcbench serve` listens")->required();
    cmd.add_option("--cpus", o.cpus, "the CPU the client pins to (default: not pinned)");
  }
  cmd.add_option("-s,--sizes", o.sizes, "payload sizes each way, e.g. 64,1K,64K");
  CLI::Option* duration = cmd.add_option("--duration", o.duration, "length of each timed pass, e.g. 500ms, 2s");
  // Both at once is a typo or a misunderstanding, never a wish that one silently wins.
  cmd.add_option("--round-trips", o.round_trips, "round trips per timed pass, instead of --duration")->excludes(duration);
  cmd.add_option("--repetitions", o.repetitions, "repetitions of every cell, run round-robin");
  cmd.add_option("--warmup", o.warmup, "warm-up round trips before each repetition (at most duration/10)");
  cmd.add_option("--peer-timeout", o.peer_timeout, "a peer that makes no progress this long fails the cell (default 2s)");
  cmd.add_flag("--verify", o.verify, "check every payload byte on both sides, not just the sequence");
  cmd.add_option("--csv", o.csv, "write every repetition and aggregate as CSV (docs/csv-schema.md)")->check(kFileName);
  cmd.add_option("--json", o.json, "write the same content as JSON, with each repetition's histogram buckets")->check(kFileName);
  cmd.add_option("--hgrm", o.hgrm, "write each cell's latency distribution as DIR/<cell>.<histogram>.hgrm (HdrHistogram's text)")
      ->check(kFileName);
  cmd.add_option("--table", o.table, "seed (default) or none");
  cmd.add_flag("-q,--quiet", o.quiet, "no progress line on stderr");
}

int run_request(Registry registry, SuiteRequest request, const RunOptions& options) {
  std::unique_ptr<Reporter> table;
  if (options.table == "seed") table = std::make_unique<TableReporter>(stdout);
  const ReportedOutput output{options.csv, options.json, options.quiet, request.repetitions, options.config, options.hgrm};
  return run_reported(output, std::move(table), request.settings.cpus,
                      [&](const Clock& clock, const Manifest& manifest, std::span<Reporter* const> reporters) {
                        request.settings.clock = &clock;
                        request.settings.manifest = &manifest;
                        return run_suite(registry, request, manifest, reporters);
                      });
}

std::string modes_of(ModeSet modes) {
  std::string text;
  for (Mode mode : {Mode::thread, Mode::process, Mode::host})
    if (modes.has(mode)) text += fmt::format("{}{}", text.empty() ? "" : ", ", to_string(mode));
  return text;
}

// The transports of DESIGN.md's list that this system lacks (cmake/Platform.cmake), for `ipcbench list`.
void print_absent_transports() {
  if (IPCBENCH_HAVE_EPOLL && !IPCBENCH_HAVE_KQUEUE) {
    fmt::print("Linux only: the seed notes' kqueue and udp-kqueue rows (macOS) are not built here.\n");
    return;
  }
  std::vector<std::string_view> absent;
  if (!IPCBENCH_HAVE_EPOLL) absent.insert(absent.end(), {"epoll", "udp-epoll"});
  if (!IPCBENCH_HAVE_EVENTFD) absent.push_back("eventfd");
  if (!IPCBENCH_HAVE_POSIX_MQ) absent.push_back("posix-mq");
  if (!IPCBENCH_HAVE_FUTEX) absent.push_back("shm-futex");
  if (!IPCBENCH_HAVE_IO_URING) absent.push_back("io_uring");
  if (!IPCBENCH_HAVE_ABSTRACT_UNIX) absent.push_back("zeromq-ipc");
  if (!absent.empty())
    fmt::print("Not built for {}: {} (their mechanisms exist on Linux only).\n", sys::kSystemName, fmt::join(absent, ", "));
  if (IPCBENCH_HAVE_KQUEUE) fmt::print("kqueue and udp-kqueue take the seed notes' epoll and udp-epoll rows here.\n");
  if (!sys::kCanPin)
    fmt::print("{} cannot pin a thread to a CPU: runs use placement none (cross and same need pinning).\n", sys::kSystemName);
}

int list(Registry registry) {
  std::size_t name_width = std::string_view("Transport").size();
  for (const RegistryEntry& e : registry) name_width = std::max(name_width, e.info.name.size());
  fmt::print("{:<{}} | {:<8} | {:<21} | {:<8} | {:<16} | {}\n", "Transport", name_width, "Shape", "Modes", "Max size",
             "Wait", "Mechanism");
  for (const RegistryEntry& e : registry) {
    const TransportInfo& i = e.info;
    const std::string wait = fmt::format("{}{}", to_string(i.wait), e.busy_polls ? ", busy-poll" : "");
    fmt::print("{:<{}} | {:<8} | {:<21} | {:<8} | {:<16} | {}\n", i.name, name_width, e.shape, modes_of(e.modes),
               format_size(max_payload_bytes(e, Mode::thread)), wait, i.mechanism);
  }
  print_absent_transports();
  fmt::print("\nServer architectures (ipcbench load -a, ipcbench serve --arch):\n");
#if IPCBENCH_WITH_SERVERS
  for (const ArchitectureEntry& a : architectures()) fmt::print("{:<10} | {}\n", a.name, a.design);
#else
  fmt::print("none: they are built on Linux only (epoll, eventfd, io_uring), so `ipcbench load` and `serve --arch` "
             "do not exist in this build for {}\n", sys::kSystemName);
#endif
  fmt::print("\nLoad workloads (ipcbench load -w):\n");
  for (const WorkloadInfo& w : kWorkloads) fmt::print("{:<10} | {}\n", w.name, w.meaning);
  fmt::print("\nFan-out mechanisms (ipcbench fanout -t): one publisher, every message to each subscriber\n");
#if IPCBENCH_WITH_SERVERS
  for (const FanoutEntry& f : fanout_channels())
    fmt::print("{:<13} | {:<8} | {:<13} | {}\n", f.info.name, format_size(f.info.max_payload_bytes),
               f.info.may_lose ? "may lose" : "holds back", f.info.mechanism);
#else
  fmt::print("none: they are built on Linux only (multicast on loopback, abstract ZeroMQ names), so `ipcbench fanout` "
             "does not exist in this build for {}\n", sys::kSystemName);
#endif
  return 0;
}

// The result schema as CSV, for scripts and for the test that holds scripts/ipcbench_csv.py to it.
int schema() {
  fmt::print("column,unit,kind,meaning\n");
  for (const Column& c : columns())
    fmt::print("{},{},{},{}\n", c.name, c.unit, to_string(c.kind), csv_field(c.meaning));
  return 0;
}

int limits(const std::optional<std::string>& cpus) {
  if (!sys::kCanPin)
    throw UsageError(fmt::format("ipcbench limits pins two threads to two CPUs, which {} cannot do", sys::kSystemName));
  std::vector<int> chosen;
  if (cpus) {
    const auto pair = choose_cpus(cpus, true);
    chosen = {pair[0], pair[1]};
  } else {
    chosen = sys::allowed_cpus();
  }
  if (chosen.size() < 2) throw UsageError("ipcbench limits needs at least two CPUs");
  fmt::print("Cache-line round trip between two pinned threads (median of 5 x 100000), the floor for shm-spin:\n");
  for (std::size_t a = 0; a < chosen.size(); ++a)
    for (std::size_t b = a + 1; b < chosen.size(); ++b)
      fmt::print("CPU {} <-> CPU {}: {:.0f} ns\n", chosen[a], chosen[b], cache_line_round_trip_ns(chosen[a], chosen[b]));
  return 0;
}

int serve_command(Registry registry, const ServeOptions& options) {
  ServeSettings settings = build_serve_settings(registry, options);
  const int cpu = settings.cpu.value_or(-1);
  HostServer server(std::move(settings));
  const Clock clock = Clock::calibrate();
  const Manifest manifest = Manifest::collect(clock, cpu, cpu);
  install_interrupt_handlers();
  return server.run(manifest, clock);
}

int parse_and_run(int argc, char** argv, const CliFlavour& flavour) {
  CLI::App app("ipcbench: IPC round-trip latency and messages/sec, one harness for every transport.\n"
               "With no subcommand it runs the default suite (every transport, both modes and placements,\n"
               "64 B, 5 repetitions of 60 ms passes, ipcbench-results.csv), which takes run's options.");
  app.set_version_flag("--version", std::string(IPCBENCH_VERSION) + " (" + IPCBENCH_GIT_COMMIT + ")");
  app.require_subcommand(0, 1);
  // A default shows in --help and in --print-config, so the effective configuration is whole.
  app.option_defaults()->always_capture_default();
  // The command line wins over the file; a key the file names that no option has is an
  // error, not silently dropped.
  app.set_config("--config", "",
                 "read options from a TOML file: top-level keys for the default suite, [run], [ping], [load], [fanout] and [serve] "
                 "sections for those commands (ipcbench COMMAND --print-config writes one); the command line wins");
  app.allow_config_extras(CLI::config_extras_mode::error);
  const auto config_reader = std::make_shared<SuiteConfigReader>(app);
  app.config_formatter(config_reader);
  bool print_config = false;
  app.add_flag("--print-config", print_config, "write the effective configuration as TOML and exit without measuring");

  // The default suite (no subcommand) takes run's options with its own defaults: every
  // transport, both modes and placements, 64 B, passes short enough that the whole matrix
  // takes under a minute on two CPUs.
  RunOptions suite;
  suite.duration = "60ms";
  suite.repetitions = "5";
  suite.csv = "ipcbench-results.csv";
  add_measurement_options(app, suite, false);

  RunOptions run_options;
  CLI::App* run_cmd = app.add_subcommand("run", "measure a matrix of cells (transport x mode x placement x size)");
  add_measurement_options(*run_cmd, run_options, false);
  run_cmd->fallthrough();  // to --config and --print-config
  if (flavour.add_run_options) flavour.add_run_options(*run_cmd);

  RunOptions ping_options;
  CLI::App* ping_cmd = app.add_subcommand("ping", "host mode client: measure round trips to `ipcbench serve` on HOST:PORT");
  add_measurement_options(*ping_cmd, ping_options, true);
  ping_cmd->fallthrough();

  LoadOptions load_options;
  CLI::App* load_cmd = app.add_subcommand("load", "servers under load: architectures x connections x rate x workload, open loop");
  add_load_options(*load_cmd, load_options);
  load_cmd->fallthrough();

  FanoutOptions fanout_options;
  CLI::App* fanout_cmd = app.add_subcommand("fanout", "one publisher, N subscribers: rate, latency to the first and the last, loss");
  add_fanout_options(*fanout_cmd, fanout_options);
  fanout_cmd->fallthrough();

  ServeOptions serve_options;
  ArchServeOptions arch_serve_options;
  CLI::App* serve_cmd = app.add_subcommand(
      "serve", "host mode server: answer `ipcbench ping` clients one after another; with --arch, serve load clients");
  serve_cmd->add_option("-t,--transports", serve_options.transports, "socket transports to serve, or all");
  serve_cmd->add_option("--listen", serve_options.listen, "ADDR:PORT to listen on (default 127.0.0.1:7007; port 0: any)");
  serve_cmd->add_option("--cpus", serve_options.cpus, "the CPU each session's server side pins to (default: not pinned)");
  serve_cmd->add_option("--peer-timeout", serve_options.peer_timeout, "a client silent this long is dropped (default 2s)");
  serve_cmd->add_option("--sessions", serve_options.sessions, "stop after this many sessions (default: until SIGINT/SIGTERM)");
  add_arch_serve_options(*serve_cmd, arch_serve_options);
  serve_cmd->fallthrough();

  MergeOptions merge_options;
  CLI::App* merge_cmd = app.add_subcommand("merge", "several JSON results as one: repetitions pooled or hosts added up, exact percentiles");
  add_merge_options(*merge_cmd, merge_options);

  app.add_subcommand("list", "transports, their shape, modes and limits");
  app.add_subcommand("schema", "the columns of the CSV and JSON results: name, unit, kind, meaning");
  std::optional<std::string> limit_cpus;
  CLI::App* limits_cmd = app.add_subcommand("limits", "cache-line round trip for each pair of CPUs: the physical floor");
  limits_cmd->add_option("--cpus", limit_cpus, "measure one pair A,B only");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ConfigError& e) {
    // CLI11 says "INI was not able to parse run.size"; name the key and what keys there are.
    std::string what = e.what();
    if (const auto at = what.rfind(' '); at != std::string::npos) what = what.substr(at + 1);
    if (what.ends_with(".++")) what = "[" + what.substr(0, what.size() - 3) + "]";
    fmt::print(stderr, "ipcbench: error: --config: '{}' is not an option or section ipcbench knows (keys are long option names, "
                       "sections run, ping, load, fanout, serve; see ipcbench --print-config)\n", what);
    return kExitUsage;
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "ipcbench: error: {} (see ipcbench --help)\n", e.what());
    return kExitUsage;
  }

  // Typed with a subcommand they would be the default suite's, which is not what runs: before
  // 'run', or not one of the other subcommand's own (they fall through to the suite).
  CLI::App* const command = app.get_subcommands().empty() ? &app : app.get_subcommands().front();
  if (command != &app) {
    const std::string subcommand = command->get_name();
    for (const std::string& option : config_reader->typed_suite_options()) {
      if (subcommand == "run")
        throw UsageError(fmt::format("{} before 'run' is an option of the default suite; put it after 'run'", option));
      throw UsageError(fmt::format("{} is not an option of '{}' (see ipcbench {} --help)", option, subcommand, subcommand));
    }
  }
  if (print_config) {
    if (command != &app && command != run_cmd && command != ping_cmd && command != load_cmd && command != fanout_cmd &&
        command != serve_cmd)
      throw UsageError(fmt::format("--print-config with '{}': it is for the default suite, run, ping, load, fanout and serve",
                                   command->get_name()));
    fmt::print("{}", effective_config_toml(*command));
    return 0;
  }
  suite.config = effective_config_command_line(app);
  run_options.config = effective_config_command_line(*run_cmd);
  ping_options.config = effective_config_command_line(*ping_cmd);
  load_options.config = effective_config_command_line(*load_cmd);
  fanout_options.config = effective_config_command_line(*fanout_cmd);
  merge_options.config = effective_config_command_line(*merge_cmd);

  const Registry registry = flavour.registry;
  if (app.got_subcommand("list")) return list(registry);
  if (app.got_subcommand("schema")) return schema();
  if (app.got_subcommand("limits")) return limits(limit_cpus);
  if (app.got_subcommand("load")) return run_load(load_options);
  if (app.got_subcommand("fanout")) return run_fanout(fanout_options);
  if (app.got_subcommand("merge")) return run_merge(merge_options);
  if (app.got_subcommand("serve")) {
    if (arch_serve_options.architecture) {
      if (serve_cmd->count("--transports") || serve_cmd->count("--sessions") || serve_cmd->count("--peer-timeout"))
        throw UsageError("serve --arch serves load clients: --transports, --sessions and --peer-timeout are for ping sessions");
      return serve_architecture(arch_serve_options, serve_options.listen, serve_options.cpus);
    }
    if (serve_cmd->count("--workload") || serve_cmd->count("--workers"))
      throw UsageError("--workload and --workers need --arch");
    return serve_command(registry, serve_options);
  }
  if (app.got_subcommand("ping")) {
    ping_options.transports_given = ping_cmd->count("--transports") > 0;
    return run_request(registry, build_ping_request(registry, ping_options), ping_options);
  }
  if (app.got_subcommand("run")) {
    run_options.transports_given = run_cmd->count("--transports") > 0;
    if (flavour.apply_run_options) flavour.apply_run_options();
    return run_request(registry, build_request(registry, run_options), run_options);
  }
  suite.transports_given = app.count("--transports") > 0;
  const int status = run_request(registry, build_request(registry, suite), suite);
  fmt::print(stderr, "ipcbench: results written to {}\n", suite.csv);
  return status;
}

}  // namespace

int cli_main(int argc, char** argv, const CliFlavour& flavour) {
  try {
    return parse_and_run(argc, argv, flavour);
  } catch (const UsageError& e) {
    fmt::print(stderr, "ipcbench: error: {}\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ipcbench: error: {}\n", e.what());
    return kExitFailedCells;
  }
}

}  // namespace ipcbench
