// THE list of transports: the registry, the tests and the Google Benchmark driver all read it.
#pragma once

#include "harness/transport.hpp"
#include "transports/boost_mq.hpp"
#include "transports/eventfd.hpp"
#include "transports/io_uring.hpp"
#include "transports/libevent.hpp"
#include "transports/memcpy.hpp"
#include "transports/pipe.hpp"
#include "transports/posix_mq.hpp"
#include "transports/shm_futex.hpp"
#include "transports/shm_sem.hpp"
#include "transports/shm_spin.hpp"
#include "transports/tcp.hpp"
#include "transports/udp.hpp"
#include "transports/unix_stream.hpp"
#include "transports/zeromq.hpp"

namespace ipcbench {

template <class... T>
struct TypeList {};

// The order is that of `ipcbench list` and of the table: the seed notes' rows first
// (memcpy, select, epoll, udp-epoll, libevent, shm-spin, shm-sem; the notes' kqueue rows
// were measured on macOS, which this tree does not build for), then the rest.
using AllTransports = TypeList<
    Memcpy,
    Select,
    Epoll,
    UdpEpoll,
    Libevent,
    ShmSpin,
    ShmSem,
    ShmYield,
    Pipe,
    UnixStream,
    Tcp,
    Udp,
    Eventfd,
    Poll,
    PosixMq,
    BoostMq,
    ShmFutex,
    IoUring,
    ZeromqIpc,
    ZeromqTcp,
    ZeromqInproc>;

}  // namespace ipcbench
