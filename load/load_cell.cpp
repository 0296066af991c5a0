// A load repetition: start the server, fork the generator, sample the server at each phase the generator announces, turn it all into metrics or a reason.
#include "load/load_cell.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness/supervisor.hpp"
#include "harness/sys/affinity.hpp"
#include "harness/sys/child.hpp"
#include "harness/sys/mapping.hpp"
#include "harness/sys/resource.hpp"
#include "load/generator.hpp"
#include "servers/registry.hpp"
#include "servers/server_process.hpp"

namespace ipcbench {
namespace {

using std::chrono::milliseconds;

// The kernel's TCP buffer memory in bytes, machine-wide (/proc/net/sockstat counts pages).
std::optional<double> kernel_tcp_memory_bytes() {
  std::ifstream in("/proc/net/sockstat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("TCP:", 0) != 0) continue;
    std::istringstream words(line.substr(4));
    for (std::string name, value; words >> name >> value;)
      if (name == "mem") return std::stod(value) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  }
  return std::nullopt;
}

class Failed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class Interrupted : public std::exception {};

// Waits for the generator's next phase byte, watching the generator and the server die.
class PhaseWatch {
 public:
  PhaseWatch(int phases, sys::Child& generator, ServerProcess* server) : phases_(phases), generator_(generator), server_(server) {}

  void expect(GeneratorPhase phase, milliseconds within, std::string_view during) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    for (;;) {
      if (interrupt_signal()) throw Interrupted();
      check_server(during);
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        throw Failed(fmt::format("the generator did not reach {} within {} ms (it is {})", name(phase), within.count(),
                                 generator_.state()));
      pollfd fds[3] = {{phases_, POLLIN, 0}, {generator_.pidfd(), POLLIN, 0}, {server_ ? server_->pidfd() : -1, POLLIN, 0}};
      const int n = ::poll(fds, 3, static_cast<int>(std::min<long>(left.count(), 100)));
      if (n <= 0) continue;
      if (fds[0].revents & POLLIN) {
        char byte = 0;
        if (::read(phases_, &byte, 1) == 1) {
          if (byte == static_cast<char>(phase)) return;
          throw Failed(fmt::format("the generator announced '{}' when {} was due", byte, name(phase)));
        }
      }
      if (fds[0].revents & (POLLHUP | POLLERR) || fds[1].revents) {
        check_server(during);
        const auto status = generator_.try_reap();
        throw Failed(fmt::format("the generator {} {}", status ? status->describe() : "went away", during));
      }
    }
  }

  void check_server(std::string_view during) {
    if (!server_) return;
    if (const auto end = server_->ended())
      throw Failed(fmt::format("the server (pid {}) {} {}", server_->pid(), *end, during));
  }

 private:
  static std::string_view name(GeneratorPhase phase) {
    switch (phase) {
      case GeneratorPhase::connected: return "every connection";
      case GeneratorPhase::go: return "go";
      case GeneratorPhase::measuring: return "the measured window";
      case GeneratorPhase::measured: return "the end of the window";
    }
    return "?";
  }
  int phases_;
  sys::Child& generator_;
  ServerProcess* server_;
};

static_assert(static_cast<int>(Metric::errors_reset) - static_cast<int>(Metric::errors_connect) + 1 == kLoadErrorNames.size());

void record_report(RepResult& result, const GeneratorReport& r) {
  Metrics& m = result.metrics;
  m.set(Metric::achieved_rps, static_cast<double>(r.completed_in_window) * 1e9 / r.window_ns);
  m.set(Metric::requests, static_cast<double>(r.measured));
  m.set(Metric::missed, static_cast<double>(r.missed));
  keep_histogram(m, result.histograms, HistogramKind::latency, r.corrected);
  keep_histogram(m, result.histograms, HistogramKind::uncorrected, r.uncorrected);
  m.set(Metric::connections_reached, static_cast<double>(r.connections_reached));
  if (r.connect.count() > 0) {
    m.set(Metric::connect_mean_ns, r.connect.mean());
    m.set(Metric::connect_max_ns, static_cast<double>(r.connect.max()));
  }
  for (std::size_t e = 0; e < kLoadErrorNames.size(); ++e)
    m.set(static_cast<Metric>(static_cast<std::size_t>(Metric::errors_connect) + e), static_cast<double>(r.errors[e]));
  if (r.completed_in_window > 0)
    m.set(Metric::cpu_generator_ns_per_req, static_cast<double>(r.cpu_ns) / static_cast<double>(r.completed_in_window));
}

void record_server(Metrics& m, const CellSpec& cell, const ServerSample& base, const ServerSample& idle,
                   const ServerSample& start, const ServerSample& end, std::uint64_t replies) {
  const auto per_request = [replies](std::uint64_t a, std::uint64_t b) {
    return replies > 0 ? static_cast<double>(b - a) / static_cast<double>(replies) : 0.0;
  };
  m.set(Metric::server_threads, static_cast<double>(end.threads));
  m.set(Metric::cpu_server_ns_per_req, per_request(start.cpu_ns, end.cpu_ns));
  m.set(Metric::vcsw_server_per_req, per_request(start.voluntary_switches, end.voluntary_switches));
  m.set(Metric::ivcsw_server_per_req, per_request(start.involuntary_switches, end.involuntary_switches));
  m.set(Metric::server_rss_bytes, static_cast<double>(end.rss_bytes));
  const double connections = static_cast<double>(cell.connections);
  if (cell.workload != to_string(Workload::churn)) {
    m.set(Metric::rss_idle_per_conn_bytes, (static_cast<double>(idle.rss_bytes) - static_cast<double>(base.rss_bytes)) / connections);
    m.set(Metric::rss_active_per_conn_bytes, (static_cast<double>(end.rss_bytes) - static_cast<double>(base.rss_bytes)) / connections);
  }
}

// Errors that mean the server is not serving correctly: they fail the cell. Connect errors
// do not (the row says how many connections were reached), unless none was.
std::string failure_of(const GeneratorReport& r, const CellSpec& cell) {
  const auto count = [&r](LoadError e) { return r.errors[static_cast<std::size_t>(e)]; };
  const std::uint64_t serious = count(LoadError::timeout) + count(LoadError::protocol) + count(LoadError::reset) +
                                count(LoadError::read) + count(LoadError::write);
  if (serious > 0) return fmt::format("{} request(s) failed; the first: {}", serious, r.first_error.data());
  if (cell.workload != to_string(Workload::churn) && r.connections_reached == 0)
    return fmt::format("no connection was established: {}", r.first_error.data());
  if (r.measured == 0) return "no request was answered in the measured window";
  return {};
}

}  // namespace

bool meets_slo(const CellSpec& cell, const Metrics& m, const std::vector<SloBound>& slo) noexcept {
  for (const SloBound& bound : slo)
    if (!m.known(bound.metric) || m[bound.metric] > static_cast<double>(bound.max_ns)) return false;
  for (std::size_t e = 0; e < kLoadErrorNames.size(); ++e)
    if (m.or_zero(static_cast<Metric>(static_cast<std::size_t>(Metric::errors_connect) + e)) > 0) return false;
  return reached_offered_rate(cell, m.or_zero(Metric::achieved_rps));
}

RepResult run_load_repetition(const CellSpec& cell, const LoadSettings& settings) {
  RepResult result;
  result.wait = WaitKind::block;
  const Workload workload = *workload_named(cell.workload);
  std::optional<ServerProcess> server;
  try {
    sys::SocketAddress target;
    if (settings.connect) {
      target = *settings.connect;
    } else {
      try {
        server.emplace(architecture_named(cell.architecture), ServerSettings{workload, settings.server_cpus, settings.workers, cell.payload_bytes},
                       sys::SocketAddress::loopback(0), settings.timeout);
      } catch (const std::exception& error) {
        throw Failed(fmt::format("the {} server did not start: {}", cell.architecture, error.what()));
      }
      target = server->address();
    }
    const ServerSample base = server ? server->sample() : ServerSample{};
    const std::optional<double> kernel_base = kernel_tcp_memory_bytes();

    sys::Shared<GeneratorReport> report;
    sys::FdPair phases = sys::make_socketpair(SOCK_STREAM);
    const GeneratorPlan plan{target,          workload,          cell.payload_bytes, cell.connections,
                             cell.offered_rps.value_or(0), settings.warmup, settings.duration, settings.timeout,
                             settings.kv_keys, settings.kv_get_ratio, settings.frame};
    sys::Child generator = sys::Child::fork([&] {
      phases.first.reset();
      sys::name_current_thread("ipcb-generator");
      if (!settings.generator_cpus.empty()) sys::pin_current_thread(std::span<const int>(settings.generator_cpus));
      sys::raise_descriptor_limit();
      run_generator(plan, *report, phases.second.get());
      return 0;
    });
    phases.second.reset();
    PhaseWatch watch(phases.first.get(), generator, server ? &*server : nullptr);

    const auto slack = milliseconds(2000);
    watch.expect(GeneratorPhase::connected, settings.timeout * 4 + slack, "while connecting");
    // Connected is not accepted: a server whose acceptor is slow (a thread per connection
    // among hundreds of busy ones) still has connections in its backlog, and the run would
    // measure the backlog. The window starts once the server holds them all (or the timeout).
    ServerSample idle = server ? server->sample() : ServerSample{};
    if (server && workload != Workload::churn) {
      const auto accept_deadline = std::chrono::steady_clock::now() + settings.timeout;
      while (idle.accepted - base.accepted < cell.connections && std::chrono::steady_clock::now() < accept_deadline) {
        std::this_thread::sleep_for(milliseconds(5));
        idle = server->sample();
      }
    }
    const char go = static_cast<char>(GeneratorPhase::go);
    if (::write(phases.first.get(), &go, 1) != 1) throw Failed("the generator went away before the run");
    watch.expect(GeneratorPhase::measuring, std::chrono::duration_cast<milliseconds>(settings.warmup) + slack, "during the warm-up");
    const ServerSample start = server ? server->sample() : ServerSample{};
    watch.expect(GeneratorPhase::measured, std::chrono::duration_cast<milliseconds>(settings.duration) + slack,
                 "during the measured window");
    const ServerSample end = server ? server->sample() : ServerSample{};
    // Idle sockets hold no buffer pages; what the kernel keeps for a connection shows under load.
    const std::optional<double> kernel_active = kernel_tcp_memory_bytes();
    if (::write(phases.first.get(), &go, 1) != 1) throw Failed("the generator went away after the window");

    const auto drain_deadline = std::chrono::steady_clock::now() + settings.timeout + slack;
    while (!generator.try_reap() && std::chrono::steady_clock::now() < drain_deadline) {
      if (interrupt_signal()) throw Interrupted();
      pollfd fd{generator.pidfd(), POLLIN, 0};
      ::poll(&fd, 1, 50);
    }
    if (!generator.status()) throw Failed(fmt::format("the generator did not finish within the drain ({} ms)", settings.timeout.count()));
    if (!generator.status()->clean() || !report->finished)
      throw Failed(fmt::format("the generator {}", generator.status()->describe()));
    if (server) {
      const std::string stop = server->stop();
      if (!stop.empty()) throw Failed(fmt::format("the {} server did not stop cleanly: {}", cell.architecture, stop));
    }

    record_report(result, *report);
    if (server) record_server(result.metrics, cell, base, idle, start, end, report->completed_in_window);
    if (kernel_base && kernel_active && cell.workload != to_string(Workload::churn))
      result.metrics.set(Metric::kernel_tcp_mem_per_conn_bytes, (*kernel_active - *kernel_base) / static_cast<double>(cell.connections));
    if (!settings.slo.empty()) result.metrics.set(Metric::slo_met, meets_slo(cell, result.metrics, settings.slo) ? 1 : 0);
    result.client_cpu = report->cpu;
    result.server_cpu = settings.server_cpus.empty() ? -1 : settings.server_cpus.front();
    if (const std::string why = failure_of(*report, cell); !why.empty()) {
      result.status = Status::failed;
      result.reason = why;
    }
  } catch (const Interrupted&) {
    result.status = Status::failed;
    result.interrupted = true;
    result.reason = "interrupted";
  } catch (const std::exception& error) {
    result.status = Status::failed;
    result.reason = error.what();
    if (settings.connect) result.ends_run = false;
  }
  return result;
}

}  // namespace ipcbench
