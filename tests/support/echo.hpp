// echo<T>(): two threads driving a transport's endpoints with the harness's own loops (Pinger, answer_until_stop), as thread mode does.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <string>
#include <thread>
#include <type_traits>

#include "harness/loops.hpp"
#include "harness/run_cell.hpp"
#include "harness/sys/io.hpp"

namespace ipcbench::testing {

// The endpoints of T as thread and process mode build them: a pair as it is, a socket
// transport through a listener on 127.0.0.1.
template <class T>
using LocalPair = typename detail::LocalShape<T>::type;

// A server-side decorator factory that leaves the endpoint as it is.
struct AsIs {
  template <class E>
  E& operator()(E& endpoint) const noexcept {
    return endpoint;
  }
};

struct EchoOutcome {
  std::uint64_t round_trips = 0;  // completed by the client
  std::uint64_t answered = 0;     // requests the server answered
  std::uint64_t lost = 0;         // requests the client resent
  long allocations = -1;          // during the round trips after warm-up, when counted
  std::string client_error;
  std::string server_error;
};

// The client sends `warmup + round_trips` requests with every payload byte verified, then
// the stop; the server answers each through wrap(endpoint).
template <class T, class Wrap = AsIs>
EchoOutcome echo(std::size_t payload_bytes, std::uint64_t round_trips, Wrap wrap = {}, std::uint64_t warmup = 0,
                 long (*allocations)() = nullptr) {
  LocalPair<T> pair(TransportSetup{payload_bytes});
  std::atomic<std::uint32_t> stop{0};
  const InBandFormat format(payload_bytes, stop);
  ControlBlock unused;
  EchoOutcome outcome;
  std::thread server([&] {
    try {
      auto endpoint = pair.server();
      auto&& served = wrap(endpoint);
      NoHooks hooks("test", Role::server, unused);
      MessageBuffer buffer(payload_bytes);
      outcome.answered = answer_until_stop<std::remove_cvref_t<decltype(served)>, InBandFormat, true>(served, format, buffer.bytes(), hooks);
    } catch (const std::exception& error) {
      outcome.server_error = error.what();
    }
  });
  try {
    auto endpoint = pair.client();
    MessageBuffer buffer(payload_bytes);
    Pinger<decltype(endpoint), InBandFormat, true> pinger(endpoint, format, buffer.bytes());
    pinger.run(warmup);
    const long before = allocations ? allocations() : 0;
    for (std::uint64_t i = 0; i < round_trips; ++i) {
      pinger.round_trip();
      ++outcome.round_trips;
    }
    if (allocations) outcome.allocations = allocations() - before;
    outcome.lost = pinger.lost();
    pinger.send_stop();
  } catch (const std::exception& error) {
    outcome.client_error = error.what();
  }
  server.join();
  return outcome;
}

}  // namespace ipcbench::testing
