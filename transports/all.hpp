// THE list of transports: the registry, the tests and the Google Benchmark driver all read it.
#pragma once

#include "harness/transport.hpp"
#include "transports/boost_mq.hpp"
#include "transports/libevent.hpp"
#include "transports/memcpy.hpp"
#include "transports/pipe.hpp"
#include "transports/shm_sem.hpp"
#include "transports/shm_spin.hpp"
#include "transports/tcp.hpp"
#include "transports/udp.hpp"
#include "transports/unix_stream.hpp"
#include "transports/zeromq.hpp"

// The mechanisms only some systems have (cmake/Platform.cmake decides IPCBENCH_HAVE_*).
#if IPCBENCH_HAVE_EPOLL
#include "transports/epoll.hpp"
#endif
#if IPCBENCH_HAVE_KQUEUE
#include "transports/kqueue.hpp"
#endif
#if IPCBENCH_HAVE_EVENTFD
#include "transports/eventfd.hpp"
#endif
#if IPCBENCH_HAVE_POSIX_MQ
#include "transports/posix_mq.hpp"
#endif
#if IPCBENCH_HAVE_FUTEX
#include "transports/shm_futex.hpp"
#endif
#if IPCBENCH_HAVE_IO_URING
#include "transports/io_uring.hpp"
#endif

namespace ipcbench {

template <class... T>
struct TypeList {};

namespace all_detail {
template <class... Lists>
struct Join;
template <>
struct Join<> {
  using type = TypeList<>;
};
template <class... A>
struct Join<TypeList<A...>> {
  using type = TypeList<A...>;
};
template <class... A, class... B, class... Rest>
struct Join<TypeList<A...>, TypeList<B...>, Rest...> {
  using type = typename Join<TypeList<A..., B...>, Rest...>::type;
};

// Each is its transports where the system has the mechanism, and nothing elsewhere.
#if IPCBENCH_HAVE_EPOLL
using EpollRows = TypeList<Epoll, UdpEpoll>;
#else
using EpollRows = TypeList<>;
#endif
#if IPCBENCH_HAVE_KQUEUE
using KqueueRows = TypeList<Kqueue, UdpKqueue>;
#else
using KqueueRows = TypeList<>;
#endif
#if IPCBENCH_HAVE_EVENTFD
using EventfdRows = TypeList<Eventfd>;
#else
using EventfdRows = TypeList<>;
#endif
#if IPCBENCH_HAVE_POSIX_MQ
using PosixMqRows = TypeList<PosixMq>;
#else
using PosixMqRows = TypeList<>;
#endif
#if IPCBENCH_HAVE_FUTEX
using FutexRows = TypeList<ShmFutex>;
#else
using FutexRows = TypeList<>;
#endif
#if IPCBENCH_HAVE_IO_URING
using IoUringRows = TypeList<IoUring>;
#else
using IoUringRows = TypeList<>;
#endif
// zeromq-ipc binds an abstract Unix socket name, which only Linux has.
#if IPCBENCH_HAVE_ABSTRACT_UNIX
using ZeromqIpcRows = TypeList<ZeromqIpc>;
#else
using ZeromqIpcRows = TypeList<>;
#endif
}  // namespace all_detail

// The order is that of `ipcbench list` and of the table: the seed notes' rows first
// (memcpy, select, epoll, udp-epoll on Linux or kqueue, udp-kqueue on macOS and the BSDs,
// libevent, shm-spin, shm-sem), then the rest. On Linux the list is exactly what it was before
// kqueue existed.
using AllTransports = all_detail::Join<
    TypeList<Memcpy, Select>,
    all_detail::EpollRows,
    all_detail::KqueueRows,
    TypeList<Libevent, ShmSpin, ShmSem, ShmYield, Pipe, UnixStream, Tcp, Udp>,
    all_detail::EventfdRows,
    TypeList<Poll>,
    all_detail::PosixMqRows,
    TypeList<BoostMq>,
    all_detail::FutexRows,
    all_detail::IoUringRows,
    all_detail::ZeromqIpcRows,
    TypeList<ZeromqTcp, ZeromqInproc>>::type;

}  // namespace ipcbench
