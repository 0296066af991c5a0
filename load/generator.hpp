// The load generator: one thread, one epoll set, many connections on an open-loop schedule (OpenLoop), every reply checked.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "harness/histogram.hpp"
#include "harness/sys/socket_address.hpp"
#include "servers/workload.hpp"

namespace ipcbench {

// How an echo request starts: ipcbench's own header (the request's sequence number and the
// connection's index, little-endian), or sockperf's (sequence, flags, length, big-endian), so
// that sockperf's server is a valid target; its server answers only messages it can parse.
enum class EchoFrame : std::uint8_t { ipcbench, sockperf };
inline constexpr std::size_t kSockperfHeaderBytes = 14;
inline constexpr std::uint16_t kSockperfClientPongRequest = 0x3;

struct GeneratorPlan {
  sys::SocketAddress target;
  Workload workload = Workload::echo;
  std::size_t payload_bytes = 64;
  std::size_t connections = 1;
  double rate_per_s = 0;  // 0: the closed loop, `--rate max`
  std::chrono::nanoseconds warmup{std::chrono::milliseconds(500)};
  std::chrono::nanoseconds duration{std::chrono::seconds(2)};
  std::chrono::milliseconds timeout{2000};  // for a connect, and for a reply
  std::uint64_t kv_keys = 10000;
  double kv_get_ratio = 0.9;
  EchoFrame frame = EchoFrame::ipcbench;
};

// Echo and churn requests start with these (EchoFrame::ipcbench): the request's sequence
// number and the connection's index, both returned by an echo server, both checked.
inline constexpr std::size_t kEchoHeaderBytes = 16;

enum class LoadError : std::uint8_t { connect, read, write, timeout, protocol, reset };
inline constexpr std::array<std::string_view, 6> kLoadErrorNames{"connect", "read", "write", "timeout", "protocol", "reset"};

// What the generator measured; trivially copyable, so that a forked generator can fill it in
// shared memory.
struct GeneratorReport {
  LatencyHistogram corrected;    // from each request's due time
  LatencyHistogram uncorrected;  // from its actual send
  LatencyHistogram connect;      // connect() to established
  std::uint64_t measured = 0;    // replies to requests due in the window
  std::uint64_t completed_in_window = 0;
  std::uint64_t sent_in_window = 0;
  std::uint64_t missed = 0;
  double window_ns = 0;
  std::uint64_t connections_reached = 0;  // churn: connections made in the window
  std::array<std::uint64_t, kLoadErrorNames.size()> errors{};
  std::array<char, 256> first_error{};  // the first error, in words
  std::uint64_t cpu_ns = 0;              // the generator thread's user+system time
  int cpu = -1;
  bool finished = false;
};

// What the generator tells its parent on `phase_fd`, one byte each. After `connected` it
// waits for a `go` byte, so that the parent can sample an idle server with every connection
// open; after `measured` and its drain it waits for another before it closes them, so that
// the parent's sample of the window's end sees them all.
enum class GeneratorPhase : char { connected = 'C', go = 'G', measuring = 'W', measured = 'E' };

// Connects, runs the warm-up and the measured window, drains, closes. phase_fd -1: no
// handshake. Throws only for set-up failures (epoll, the descriptor limit); everything the
// network does wrong is counted in the report.
void run_generator(const GeneratorPlan& plan, GeneratorReport& report, int phase_fd);

}  // namespace ipcbench
