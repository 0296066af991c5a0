// THE list of transports: the registry, the conformance tests and the Google Benchmark driver all read it.
#pragma once

#include "harness/transport.hpp"
#include "transports/memcpy.hpp"
#include "transports/shm_spin.hpp"
#include "transports/shm_sem.hpp"

namespace ipcbench {

template <class... T>
struct TypeList {};

// The order is that of `ipcbench list` and of the table: the seed notes' rows first
// (memcpy, select, epoll/kqueue, udp-epoll/udp-kqueue, libevent, shm-spin, shm-sem), then
// the rest.
using AllTransports = TypeList<
    Memcpy,
    ShmSpin,
    ShmSem,
    ShmYield>;

// Transports built on other platforms only, listed with the reason.
inline constexpr TransportInfo kUnavailableTransports[] = {
    {.name = "kqueue", .mechanism = "TCP loopback, kevent() on both sides", .max_payload_bytes = 0,
     .wait = WaitKind::block, .unavailable_reason = "kqueue exists only on macOS and the BSDs"},
};

}  // namespace ipcbench
