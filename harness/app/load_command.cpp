// `ipcbench load` and `ipcbench serve --arch`: options to cells and settings, the pre-flight checks, the run.
#include "harness/app/load_command.hpp"

#include <cmath>
#include <fmt/format.h>
#include <fstream>

#include "harness/app/cli_options.hpp"
#include "harness/app/run_reported.hpp"
#include "harness/parse.hpp"
#include "harness/sys/affinity.hpp"
#include "harness/sys/resource.hpp"
#include "load/generator.hpp"
#include "load/load_cell.hpp"
#include "load/load_table.hpp"
#include "servers/kv_wire.hpp"
#include "servers/registry.hpp"
#include "servers/server_process.hpp"

namespace ipcbench {
namespace {

std::vector<SloBound> parse_slo(const std::string& text) {
  struct Label {
    std::string_view name;
    Metric metric;
  };
  static constexpr Label kLabels[] = {{"p50", Metric::latency_p50_ns},   {"p90", Metric::latency_p90_ns},
                                      {"p99", Metric::latency_p99_ns},   {"p999", Metric::latency_p999_ns},
                                      {"p9999", Metric::latency_p9999_ns}, {"max", Metric::latency_max_ns}};
  std::vector<SloBound> bounds;
  for (const std::string& item : split_list(text, "--slo")) {
    const auto equals = item.find('=');
    const std::string_view name = std::string_view(item).substr(0, equals);
    const auto label = std::find_if(std::begin(kLabels), std::end(kLabels), [&](const Label& l) { return l.name == name; });
    if (equals == std::string::npos || label == std::end(kLabels))
      throw UsageError(fmt::format("--slo '{}': expected PERCENTILE=DURATION with PERCENTILE one of p50, p90, p99, p999, p9999, max "
                                   "(e.g. p99=1ms)", item));
    const auto bound = parse_duration(std::string_view(item).substr(equals + 1));
    bounds.push_back({label->metric, std::string(name), static_cast<std::uint64_t>(bound.count())});
  }
  return bounds;
}

std::string slo_label(const std::vector<SloBound>& slo) {
  std::string label;
  for (const SloBound& b : slo)
    label += fmt::format("{}{} < {}", label.empty() ? "" : ", ", b.label, format_duration_ns(static_cast<double>(b.max_ns)));
  return label;
}

// MemAvailable in bytes, 0 when /proc/meminfo does not say.
std::uint64_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  for (std::string name; in >> name;) {
    std::uint64_t kib = 0;
    in >> kib;
    if (name == "MemAvailable:") return kib * 1024;
    in.ignore(64, '\n');
  }
  return 0;
}

std::uint64_t ephemeral_ports() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  std::uint64_t low = 0, high = 0;
  if (!(in >> low >> high) || high < low) return 0;
  return high - low + 1;
}

// Before anything runs: what the machine cannot give, with what to change.
void preflight(std::size_t most_connections) {
  const std::uint64_t needed = most_connections + 64;
  const std::uint64_t limit = sys::raise_descriptor_limit();
  if (limit < needed)
    throw UsageError(fmt::format("{} connections need about {} descriptors per process, and the limit here is {} "
                                 "(raise the hard limit: ulimit -Hn {} as root, or LimitNOFILE= in a systemd unit)",
                                 most_connections, needed, limit, needed));
  const std::uint64_t ports = ephemeral_ports();
  if (ports > 0 && most_connections > ports)
    throw UsageError(fmt::format("{} connections to one server port need as many ephemeral ports, and "
                                 "net.ipv4.ip_local_port_range gives {} (widen it: sysctl -w net.ipv4.ip_local_port_range=\"1024 65535\")",
                                 most_connections, ports));
  // A generous bound, not a measurement: both ends' socket buffers under load, the server's
  // buffers and a thread-per-connection server's stack (measured per connection in
  // results/load/: 0.1-14 KiB, plus the kernel's few KiB per socket).
  constexpr std::uint64_t kBytesPerConnection = 64 * 1024;
  const std::uint64_t memory = available_memory_bytes();
  if (memory > 0 && most_connections * kBytesPerConnection > memory)
    throw UsageError(fmt::format("{} connections may need up to {} MiB (server, generator and kernel buffers), and "
                                 "MemAvailable is {} MiB: ask for fewer connections",
                                 most_connections, most_connections * kBytesPerConnection >> 20, memory >> 20));
}

}  // namespace

std::string server_architecture_names() { return architecture_names(); }

int run_load(const LoadOptions& o) {
  LoadSettings settings;
  if (o.table != "load" && o.table != "none") throw UsageError(fmt::format("--table '{}': expected load or none", o.table));
  std::vector<const ArchitectureEntry*> archs;
  if (o.connect) {
    try {
      settings.connect = sys::SocketAddress::parse(*o.connect);
    } catch (const std::exception& error) {
      throw UsageError(fmt::format("--connect '{}': {}", *o.connect, error.what()));
    }
    if (o.architectures != "all") throw UsageError("--connect drives a server ipcbench did not start: -a does not apply");
  } else if (o.architectures == "all") {
    for (const ArchitectureEntry& e : architectures()) archs.push_back(&e);
  } else {
    for (const std::string& name : split_list(o.architectures, "--architectures")) archs.push_back(&architecture_named(name));
  }

  std::vector<Workload> workloads;
  for (const std::string& name : split_list(o.workloads, "--workloads")) {
    const auto w = workload_named(name);
    if (!w) throw UsageError(fmt::format("unknown workload '{}' (valid: {})", name, workload_names()));
    workloads.push_back(*w);
  }
  if (o.frame == "sockperf") {
    if (!o.connect) throw UsageError("--frame sockperf is for a sockperf server: it needs --connect");
    if (std::any_of(workloads.begin(), workloads.end(), [](Workload w) { return w != Workload::echo; }))
      throw UsageError("--frame sockperf frames echo requests only: use -w echo");
    settings.frame = EchoFrame::sockperf;
  } else if (o.frame != "ipcbench") {
    throw UsageError(fmt::format("--frame '{}': expected ipcbench or sockperf", o.frame));
  }
  std::vector<std::size_t> sizes;
  for (const std::string& text : split_list(o.sizes, "--sizes")) sizes.push_back(parse_size(text));
  for (Workload w : workloads)
    for (std::size_t size : sizes) {
      if (w == Workload::http && size > kMaxHttpBodyBytes)
        throw UsageError(fmt::format("size {} exceeds the http workload's largest response body, {}", format_size(size),
                                     format_size(kMaxHttpBodyBytes)));
      if (w == Workload::http) continue;
      if (w != Workload::kv && settings.frame == EchoFrame::sockperf && size < kSockperfHeaderBytes)
        throw UsageError(fmt::format("size {} is too small for sockperf's frame: its header takes {} B", format_size(size),
                                     kSockperfHeaderBytes));
      if (w != Workload::kv && settings.frame == EchoFrame::ipcbench && size < kEchoHeaderBytes)
        throw UsageError(fmt::format("size {} is too small for {}: its requests carry a 16-byte sequence and connection number",
                                     format_size(size), to_string(w)));
      if (w == Workload::kv && size > kv::kMaxValueBytes)
        throw UsageError(fmt::format("size {} exceeds kv's largest value, {}", format_size(size), format_size(kv::kMaxValueBytes)));
    }
  std::vector<std::size_t> connections;
  for (const std::string& text : split_list(o.connections, "--connections"))
    connections.push_back(parse_decimal_count(text, "--connections"));
  std::vector<double> rates;
  for (const std::string& text : split_list(o.rates, "--rate"))
    rates.push_back(text == "max" ? 0.0 : static_cast<double>(parse_decimal_count(text, "--rate")));

  settings.duration = parse_duration(o.duration);
  settings.warmup = o.warmup == "0" ? std::chrono::nanoseconds(0) : parse_duration(o.warmup);
  settings.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(o.timeout));
  if (settings.timeout.count() == 0) throw UsageError(fmt::format("--timeout '{}' is under a millisecond", o.timeout));
  const auto repetitions = parse_count(o.repetitions, "--repetitions");
  if (repetitions == 0 || repetitions > 1000) throw UsageError(fmt::format("--repetitions '{}' must be 1..1000", o.repetitions));
  settings.slo = parse_slo(o.slo);
  settings.kv_keys = parse_decimal_count(o.kv_keys, "--kv-keys");
  try {
    settings.kv_get_ratio = std::stod(o.kv_get_ratio);
  } catch (const std::exception&) {
    settings.kv_get_ratio = -1;
  }
  if (!(settings.kv_get_ratio >= 0 && settings.kv_get_ratio <= 1))
    throw UsageError(fmt::format("--kv-get-ratio '{}' must be a number from 0 to 1", o.kv_get_ratio));
  if (o.workers) settings.workers = static_cast<unsigned>(parse_decimal_count(*o.workers, "--workers"));

  const std::vector<int> allowed = sys::allowed_cpus();
  settings.server_cpus = o.server_cpus ? parse_cpu_list(*o.server_cpus, "--server-cpus") : std::vector<int>{allowed.back()};
  settings.generator_cpus = o.generator_cpus ? parse_cpu_list(*o.generator_cpus, "--generator-cpus") : std::vector<int>{allowed.front()};
  preflight(*std::max_element(connections.begin(), connections.end()));

  const bool shared_cpu = std::any_of(settings.server_cpus.begin(), settings.server_cpus.end(), [&](int cpu) {
    return std::find(settings.generator_cpus.begin(), settings.generator_cpus.end(), cpu) != settings.generator_cpus.end();
  });
  std::vector<CellRecord> cells;
  std::vector<std::string> names;
  if (settings.connect) names.push_back(settings.frame == EchoFrame::sockperf ? "external-sockperf-frame" : "external");
  for (const ArchitectureEntry* a : archs) names.push_back(std::string(a->name));
  for (Workload w : workloads)
    for (std::size_t size : sizes)
      for (std::size_t conns : connections)
        for (const std::string& arch : names)
          for (double rate : rates) {
            CellSpec spec;
            spec.transport = "tcp";
            spec.mode = Mode::process;
            spec.placement = settings.connect ? Placement::none : shared_cpu ? Placement::same : Placement::cross;
            spec.payload_bytes = size;
            spec.server = o.connect.value_or("");
            spec.architecture = arch;
            spec.workload = std::string(to_string(w));
            spec.connections = conns;
            spec.offered_rps = rate;
            cells.push_back({spec, {}, {}, false});
          }

  std::unique_ptr<Reporter> table;
  if (o.table == "load") table = std::make_unique<LoadTableReporter>(stdout, slo_label(settings.slo));
  const ReportedOutput output{o.csv, o.json, o.quiet, static_cast<int>(repetitions), o.config, o.hgrm};
  return run_reported(output, std::move(table), {settings.generator_cpus.front(), settings.server_cpus.front()},
                      [&](const Clock&, const Manifest& manifest, std::span<Reporter* const> reporters) {
                        const auto run = [&](std::size_t i, int) { return run_load_repetition(cells[i].spec, settings); };
                        const std::vector<CellRecord> specs = cells;
                        return run_round_robin(specs, static_cast<int>(repetitions), run, manifest, reporters);
                      });
}

int serve_architecture(const ArchServeOptions& o, const std::string& listen, const std::optional<std::string>& cpus) {
  const ArchitectureEntry& architecture = architecture_named(*o.architecture);
  const auto workload = workload_named(o.workload);
  if (!workload) throw UsageError(fmt::format("unknown workload '{}' (valid: {})", o.workload, workload_names()));
  ServerSettings settings{*workload, cpus ? parse_cpu_list(*cpus, "--cpus") : std::vector<int>{}, 0};
  settings.http_body_bytes = parse_size(o.size);
  if (settings.http_body_bytes > kMaxHttpBodyBytes)
    throw UsageError(fmt::format("--size '{}' exceeds the http workload's largest response body, {}", o.size,
                                 format_size(kMaxHttpBodyBytes)));
  if (o.workers) settings.workers = static_cast<unsigned>(parse_decimal_count(*o.workers, "--workers"));
  sys::SocketAddress address;
  try {
    address = sys::SocketAddress::parse(listen);
  } catch (const std::exception& error) {
    throw UsageError(fmt::format("--listen '{}': {}", listen, error.what()));
  }
  return host_server(architecture, settings, address, -1, [&](const sys::SocketAddress& bound) {
    fmt::print("ipcbench serve: {} {} server listening on {}\n", architecture.name, to_string(*workload), bound.to_string());
    std::fflush(stdout);
  });
}

}  // namespace ipcbench
