// OpenLoop: when each connection's requests are due, and what their latency was, measured from that intended time and from the actual send.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "harness/histogram.hpp"

namespace ipcbench {

// Request k of connection i is due at start + (k * N + i) / rate: the N connections fire in
// turn, 1/rate apart, so they never fire together, and each one's own rate is rate / N. A
// connection has one request outstanding at most; when its reply comes late, the requests
// that fell due meanwhile go out at once, one after another, each keeping its own due time
// (wrk2's correction: the wait for the late reply is part of their latency). rate 0 is the
// closed loop (`--rate max`): every connection sends as soon as its previous reply is in.
//
// Pure bookkeeping over times it is given, so that tests can drive it with a simulated clock.
class OpenLoop {
 public:
  static constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

  // Requests due in [measure_from_ns, end_ns) are measured; none are sent from end_ns on.
  OpenLoop(std::size_t connections, double rate_per_s, std::uint64_t start_ns, std::uint64_t measure_from_ns,
           std::uint64_t end_ns)
      : connections_(connections),
        interval_ns_(rate_per_s > 0 ? 1e9 / rate_per_s : 0),
        start_ns_(start_ns),
        measure_from_ns_(measure_from_ns),
        end_ns_(end_ns),
        state_(connections) {
    retry_.reserve(connections);
    retrying_.reserve(connections);
  }

  [[nodiscard]] bool closed_loop() const noexcept { return interval_ns_ == 0; }
  [[nodiscard]] std::uint64_t due_ns(std::size_t connection, std::uint64_t k) const noexcept {
    return start_ns_ + static_cast<std::uint64_t>(static_cast<double>(k * connections_ + connection) * interval_ns_);
  }
  // The earliest time something may become due for an idle connection (kNever after the end).
  [[nodiscard]] std::uint64_t next_due_ns() const noexcept {
    if (closed_loop()) return kNever;
    const std::uint64_t due = start_ns_ + static_cast<std::uint64_t>(static_cast<double>(next_slot_) * interval_ns_);
    return due < end_ns_ ? due : kNever;
  }

  // Sends what is due by `now` on connections that are idle. send(connection, due_ns) sends
  // the request and returns whether it went (false: the connection is gone).
  template <class Send>
  void release_due(std::uint64_t now, Send&& send) {
    if (closed_loop()) {
      if (next_slot_ == 0) {
        next_slot_ = 1;
        for (std::size_t c = 0; c < connections_; ++c) issue(c, now, send);
      }
      // Those that abandoned a request go again now; one that abandons again waits for the
      // next call, so a connect that fails at once cannot spin here.
      retrying_.swap(retry_);
      for (std::size_t c : retrying_)
        if (!state_[c].outstanding && !state_[c].gone && now < end_ns_) issue(c, now, send);
      retrying_.clear();
      return;
    }
    for (std::uint64_t due = next_due_ns(); due <= now && due != kNever; due = next_due_ns()) {
      const std::size_t c = static_cast<std::size_t>(next_slot_ % connections_);
      const std::uint64_t k = next_slot_ / connections_;
      ++next_slot_;
      Connection& s = state_[c];
      // A connection still waiting for a reply catches up when the reply comes; one that
      // abandoned a request catches up here, from its oldest request not yet sent.
      if (!s.outstanding && !s.gone && s.next_k <= k) issue(c, due_ns(c, s.next_k), send);
    }
  }

  // The whole reply to `connection`'s outstanding request arrived at `now`.
  template <class Send>
  void completed(std::size_t connection, std::uint64_t now, Send&& send) {
    Connection& s = state_[connection];
    s.outstanding = false;
    if (s.intended_ns >= measure_from_ns_ && s.intended_ns < end_ns_) {
      corrected_.record(now - s.intended_ns);
      uncorrected_.record(now - s.sent_ns);
      ++measured_;
    }
    if (now >= measure_from_ns_ && now < end_ns_) ++completed_in_window_;
    if (closed_loop()) {
      if (now < end_ns_) issue(connection, now, send);
      return;
    }
    // After the window nothing more goes out, not even what fell due in it: those are
    // missed, and a drain that sent them would measure a backlog no one offered then.
    const std::uint64_t due = due_ns(connection, s.next_k);
    if (due <= now && now < end_ns_) issue(connection, due, send);
  }

  // The actual send time of the outstanding request (after the bytes were handed to the
  // kernel; a send that waited for buffer space counts from its first byte).
  void sent_at(std::size_t connection, std::uint64_t now) noexcept { state_[connection].sent_ns = now; }
  // The connection failed: it sends nothing more; its outstanding request is lost.
  void gone(std::size_t connection) noexcept {
    state_[connection].gone = true;
    state_[connection].outstanding = false;
  }
  // The outstanding request failed but the connection goes on (churn opens a new one for
  // each request): its next request is sent when due.
  void abandon(std::size_t connection) noexcept {
    state_[connection].outstanding = false;
    // The closed loop sends only on a reply; without one, this connection must be retried.
    if (closed_loop()) retry_.push_back(connection);
  }
  [[nodiscard]] bool outstanding(std::size_t connection) const noexcept { return state_[connection].outstanding; }
  [[nodiscard]] std::uint64_t outstanding_since_ns(std::size_t connection) const noexcept {
    return state_[connection].sent_ns;
  }
  [[nodiscard]] std::uint64_t sequence(std::size_t connection) const noexcept { return state_[connection].next_k - 1; }

  [[nodiscard]] const LatencyHistogram& corrected() const noexcept { return corrected_; }
  [[nodiscard]] const LatencyHistogram& uncorrected() const noexcept { return uncorrected_; }
  [[nodiscard]] std::uint64_t measured() const noexcept { return measured_; }
  [[nodiscard]] std::uint64_t completed_in_window() const noexcept { return completed_in_window_; }
  [[nodiscard]] std::uint64_t sent_in_window() const noexcept { return sent_in_window_; }
  // Requests due in the window that never went out: the offered load the run did not offer.
  [[nodiscard]] std::uint64_t missed() const noexcept {
    if (closed_loop()) return 0;
    const double window_slots = static_cast<double>(end_ns_ - measure_from_ns_) / interval_ns_;
    const auto due = static_cast<std::uint64_t>(window_slots);
    return due > sent_in_window_ ? due - sent_in_window_ : 0;
  }
  [[nodiscard]] bool in_window(std::uint64_t now) const noexcept { return now >= measure_from_ns_ && now < end_ns_; }
  [[nodiscard]] double window_ns() const noexcept { return static_cast<double>(end_ns_ - measure_from_ns_); }

 private:
  struct Connection {
    std::uint64_t next_k = 0;  // the next request's index
    std::uint64_t intended_ns = 0;
    std::uint64_t sent_ns = 0;
    bool outstanding = false;
    bool gone = false;
  };

  template <class Send>
  void issue(std::size_t connection, std::uint64_t intended, Send& send) {
    Connection& s = state_[connection];
    s.intended_ns = intended;
    s.sent_ns = intended;
    s.outstanding = true;
    ++s.next_k;
    if (intended >= measure_from_ns_ && intended < end_ns_) ++sent_in_window_;
    if (!send(connection, intended)) gone(connection);
  }

  std::size_t connections_;
  double interval_ns_;
  std::uint64_t start_ns_;
  std::uint64_t measure_from_ns_;
  std::uint64_t end_ns_;
  std::vector<Connection> state_;
  std::vector<std::size_t> retry_;     // closed loop: abandoned, to be sent again (reserved: no allocation)
  std::vector<std::size_t> retrying_;
  std::uint64_t next_slot_ = 0;
  LatencyHistogram corrected_;
  LatencyHistogram uncorrected_;
  std::uint64_t measured_ = 0;
  std::uint64_t completed_in_window_ = 0;
  std::uint64_t sent_in_window_ = 0;
};

}  // namespace ipcbench
