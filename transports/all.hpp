// THE list of transports: the registry, the conformance tests and the Google Benchmark driver all read it.
#pragma once

#include "harness/transport.hpp"
#include "transports/memcpy.hpp"
#include "transports/select.hpp"
#include "transports/epoll.hpp"   // Linux only: sets IPCBENCH_HAVE_EPOLL
#include "transports/kqueue.hpp"  // macOS and the BSDs only: sets IPCBENCH_HAVE_KQUEUE
#include "transports/udp.hpp"     // sets IPCBENCH_HAVE_UDP_EPOLL (Linux) or IPCBENCH_HAVE_UDP_KQUEUE
#include "transports/pipe.hpp"
#include "transports/unix_stream.hpp"
#include "transports/eventfd.hpp"
#include "transports/libevent.hpp"
#include "transports/tcp.hpp"
#include "transports/poll.hpp"
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
    Select,
#if IPCBENCH_HAVE_EPOLL
    Epoll,
#endif
#if IPCBENCH_HAVE_KQUEUE
    Kqueue,
#endif
#if IPCBENCH_HAVE_UDP_EPOLL
    UdpEpoll,
#endif
#if IPCBENCH_HAVE_UDP_KQUEUE
    UdpKqueue,
#endif
    Libevent,
    ShmSpin,
    ShmSem,
    ShmYield,
    Pipe,
    UnixStream,
    Tcp,
    Udp,
    Eventfd,
    Poll>;

// Transports built on other platforms only, listed with the reason.
inline constexpr TransportInfo kUnavailableTransports[] = {
#if !IPCBENCH_HAVE_KQUEUE
    {.name = "kqueue", .mechanism = "TCP loopback, kevent() on both sides", .max_payload_bytes = 0,
     .wait = WaitKind::block, .unavailable_reason = "kqueue exists only on macOS and the BSDs"},
#endif
#if !IPCBENCH_HAVE_EPOLL
    {.name = "epoll", .mechanism = "TCP loopback, epoll_wait() on both sides", .max_payload_bytes = 0,
     .wait = WaitKind::block, .unavailable_reason = "epoll exists only on Linux"},
#endif
#if !IPCBENCH_HAVE_UDP_KQUEUE
    {.name = "udp-kqueue", .mechanism = "UDP loopback, non-blocking sockets, kevent() on both sides",
     .max_payload_bytes = 0, .wait = WaitKind::block, .unavailable_reason = "kqueue exists only on macOS and the BSDs"},
#endif
#if !IPCBENCH_HAVE_UDP_EPOLL
    {.name = "udp-epoll", .mechanism = "UDP loopback, non-blocking sockets, epoll_wait() on both sides",
     .max_payload_bytes = 0, .wait = WaitKind::block, .unavailable_reason = "epoll exists only on Linux"},
#endif
};

}  // namespace ipcbench
