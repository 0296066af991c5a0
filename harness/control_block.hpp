// ControlBlock: what the supervisor and the two sides of a repetition share, in one anonymous mapping.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "harness/histogram.hpp"
#include "harness/utf8.hpp"

namespace ipcbench {

// `serving`: the server of a host-mode session, which cannot tell the client's passes apart.
enum class Phase : std::uint32_t { setup, warmup, throughput, latency, finished, serving };
std::string_view to_string(Phase phase) noexcept;

struct SideReport {
  std::uint64_t cpu_ns = 0;
  std::uint64_t voluntary_switches = 0;
  std::uint64_t involuntary_switches = 0;
  std::int32_t cpu = -1;
  std::uint32_t valid = 0;
};

struct ControlBlock {
  // Read by the server only when a header looks like the stop message; on its own line so
  // that the supervisor's polling of the rest never disturbs it.
  alignas(64) std::atomic<std::uint32_t> stop_requested{0};

  // Written by the side the supervisor watches (the client; a host-mode server) at phase
  // changes and as it goes, read by the supervisor.
  alignas(64) std::atomic<Phase> phase{Phase::setup};
  std::atomic<std::uint64_t> progress{0};

  alignas(64) std::atomic<std::uint32_t> failed{0};
  char failure[256] = {};
  // A side that only saw its peer go away. A failing side closes its descriptors while its
  // exception unwinds, before it records why, so its peer's complaint often comes first; it
  // is kept apart, and is the reason only when no side says anything better.
  std::atomic<std::uint32_t> peer_gone{0};
  char peer_gone_reason[256] = {};
  // Set by the server once the stop message ended its loop: a server that exits before is
  // a failure, however cleanly it exits.
  std::atomic<std::uint32_t> server_done{0};

  SideReport client;
  SideReport server;
  std::uint64_t server_messages = 0;  // requests the server answered
  std::uint64_t all_round_trips = 0;  // warm-up and both passes
  std::uint64_t round_trips = 0;      // throughput pass
  std::uint64_t elapsed_ns = 0;       // throughput pass
  std::uint64_t lost = 0;
  double latency_timer_ns = 0;       // what timing a round trip adds to it, on the client's CPU
  double latency_timer_step_ns = 0;  // the clock's step there: every sample is a multiple of it
  LatencyHistogram latency;

  // The first failure wins; later ones are consequences.
  void fail(std::string_view reason) noexcept { record(failed, failure, reason); }
  void fail_because_peer_gone(std::string_view reason) noexcept { record(peer_gone, peer_gone_reason, reason); }
  [[nodiscard]] std::string_view failure_reason() const noexcept {
    return failed.load() ? failure : peer_gone.load() ? peer_gone_reason : "";
  }

 private:
  static void record(std::atomic<std::uint32_t>& flag, char (&text)[256], std::string_view reason) noexcept {
    if (flag.exchange(1) != 0) return;
    const std::string_view kept = utf8_prefix(reason, sizeof(text) - 1);
    std::memcpy(text, kept.data(), kept.size());
    text[kept.size()] = '\0';
  }
};

static_assert(std::atomic<Phase>::is_always_lock_free && std::atomic<std::uint64_t>::is_always_lock_free,
              "shared across processes");

}  // namespace ipcbench
