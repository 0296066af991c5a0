// Every server architecture, through one parametrized test: many connections, partial I/O, kv, clients that vanish or misbehave, graceful stop, nothing leaked.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "harness/sys/io.hpp"
#include "harness/sys/socket.hpp"
#include "servers/coro.hpp"
#include "servers/kv_store.hpp"
#include "servers/request_buffers.hpp"
#include "servers/kv_wire.hpp"
#include "servers/registry.hpp"
#include "servers/server_process.hpp"
#include "tests/support/leak_check.hpp"

namespace ipcbench {
namespace {

using namespace std::chrono_literals;

constexpr auto kTimeout = 5000ms;

std::vector<std::byte> pattern(std::size_t bytes, std::uint8_t seed) {
  std::vector<std::byte> data(bytes);
  for (std::size_t i = 0; i < bytes; ++i) data[i] = static_cast<std::byte>((i * 131 + seed) & 0xff);
  return data;
}

sys::Fd connect_to(const ServerProcess& server) { return sys::connect_within(server.address(), SOCK_STREAM, kTimeout); }

void set_receive_timeout(int fd) {
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

std::vector<std::byte> kv_request(kv::Op op, std::string_view key, std::span<const std::byte> value, std::uint64_t id) {
  std::vector<std::byte> frame(kv::kHeaderBytes + key.size() + value.size());
  kv::write_header(frame, {kv::length_for(key.size(), value.size()), static_cast<std::uint8_t>(op),
                           static_cast<std::uint16_t>(key.size()), id});
  std::memcpy(frame.data() + kv::kHeaderBytes, key.data(), key.size());
  if (!value.empty()) std::memcpy(frame.data() + kv::kHeaderBytes + key.size(), value.data(), value.size());
  return frame;
}

struct KvReply {
  kv::Header header;
  std::vector<std::byte> value;
};

KvReply read_kv_reply(int fd) {
  std::array<std::byte, kv::kHeaderBytes> head;
  sys::read_exact(fd, head);
  KvReply reply{kv::read_header(head), {}};
  reply.value.resize(reply.header.frame_bytes() - kv::kHeaderBytes);
  sys::read_exact(fd, reply.value);
  return reply;
}

// Waits until the server has closed every connection it accepted, then returns its sample.
ServerSample settled(ServerProcess& server) {
  ServerSample s = server.sample();
  for (int i = 0; i < 500 && s.closed != s.accepted; ++i) {
    std::this_thread::sleep_for(10ms);
    s = server.sample();
  }
  return s;
}

// The first sample of a server known to be serving. ServerProcess returns once the listener
// exists, before serve() has made its own descriptors and threads (epoll, io_context, loops),
// so a sample taken at once races with them; a connection accepted and closed proves it runs.
ServerSample serving(ServerProcess& server) {
  static_cast<void>(connect_to(server));
  ServerSample s = server.sample();
  for (int i = 0; i < 500 && (s.accepted == 0 || s.closed != s.accepted); ++i) {
    std::this_thread::sleep_for(10ms);
    s = server.sample();
  }
  return s;
}

class ArchitectureTest : public ::testing::TestWithParam<const ArchitectureEntry*> {
 protected:
  ServerSettings settings(Workload workload) const { return {workload, {}, 2}; }
};

TEST_P(ArchitectureTest, EchoesEveryByteOverManyConnectionsAndSizes) {
  testing::ResourceSnapshot before;
  {
    ServerProcess server(*GetParam(), settings(Workload::echo), sys::SocketAddress::loopback(0), kTimeout);
    const ServerSample idle = serving(server);
    std::vector<sys::Fd> clients;
    for (int i = 0; i < 64; ++i) {
      clients.push_back(connect_to(server));
      set_receive_timeout(clients.back().get());
    }
    for (std::size_t size : {std::size_t{1}, std::size_t{64}, std::size_t{4096}, std::size_t{65536}}) {
      for (std::size_t i = 0; i < clients.size(); ++i) {
        const auto sent = pattern(size, static_cast<std::uint8_t>(i));
        sys::write_exact(clients[i].get(), sent);
        std::vector<std::byte> got(size);
        sys::read_exact(clients[i].get(), got);
        ASSERT_EQ(got, sent) << "connection " << i << ", " << size << " B";
      }
    }
    // Many requests in flight on one connection, written one byte at a time.
    const auto burst = pattern(3000, 7);
    for (std::byte b : burst) sys::write_exact(clients[0].get(), std::span(&b, 1));
    std::vector<std::byte> got(burst.size());
    sys::read_exact(clients[0].get(), got);
    EXPECT_EQ(got, burst);

    clients.clear();
    const ServerSample after = settled(server);
    EXPECT_EQ(after.accepted - idle.accepted, 64u);
    EXPECT_EQ(after.closed, after.accepted);
    EXPECT_EQ(after.open_fds, idle.open_fds) << "descriptors left open after every client closed";
    EXPECT_EQ(after.threads, idle.threads) << "threads left after every client closed";
    EXPECT_EQ(server.stop(), "");
  }
  EXPECT_TRUE(testing::ResourceSnapshot{} == before) << "a descriptor or child left behind";
}

TEST_P(ArchitectureTest, AnswersKvRequestsAndRefusesMalformedOnes) {
  ServerProcess server(*GetParam(), settings(Workload::kv), sys::SocketAddress::loopback(0), kTimeout);
  sys::Fd client = connect_to(server);
  set_receive_timeout(client.get());
  const auto value = pattern(1000, 3);

  sys::write_exact(client.get(), kv_request(kv::Op::get, "key:00000001", {}, 1));
  KvReply reply = read_kv_reply(client.get());
  EXPECT_EQ(reply.header.code, static_cast<std::uint8_t>(kv::Status::not_found));
  EXPECT_EQ(reply.header.id, 1u);

  // Pipelined: a SET and a GET in one write, answered in order.
  auto both = kv_request(kv::Op::set, "key:00000001", value, 2);
  const auto get = kv_request(kv::Op::get, "key:00000001", {}, 3);
  both.insert(both.end(), get.begin(), get.end());
  sys::write_exact(client.get(), both);
  reply = read_kv_reply(client.get());
  EXPECT_EQ(reply.header.code, static_cast<std::uint8_t>(kv::Status::ok));
  EXPECT_EQ(reply.header.id, 2u);
  reply = read_kv_reply(client.get());
  EXPECT_EQ(reply.header.id, 3u);
  EXPECT_EQ(reply.value, value);

  sys::write_exact(client.get(), kv_request(kv::Op::del, "key:00000001", {}, 4));
  EXPECT_EQ(read_kv_reply(client.get()).header.code, static_cast<std::uint8_t>(kv::Status::ok));
  sys::write_exact(client.get(), kv_request(kv::Op::del, "key:00000001", {}, 5));
  EXPECT_EQ(read_kv_reply(client.get()).header.code, static_cast<std::uint8_t>(kv::Status::not_found));

  // A frame that announces 4 GiB: answered bad_request, then the connection is closed.
  auto huge = kv_request(kv::Op::set, "k", {}, 6);
  const std::uint32_t length = 0xffffffff;
  std::memcpy(huge.data(), &length, 4);
  sys::write_exact(client.get(), huge);
  reply = read_kv_reply(client.get());
  EXPECT_EQ(reply.header.code, static_cast<std::uint8_t>(kv::Status::bad_request));
  EXPECT_EQ(reply.header.id, 6u);
  std::byte more;
  EXPECT_EQ(::recv(client.get(), &more, 1, 0), 0) << "the connection stays open after a malformed request";

  // The server still serves everyone else.
  sys::Fd other = connect_to(server);
  set_receive_timeout(other.get());
  sys::write_exact(other.get(), kv_request(kv::Op::get, "key:00000002", {}, 7));
  EXPECT_EQ(read_kv_reply(other.get()).header.id, 7u);
  other.reset();
  client.reset();
  EXPECT_EQ(settled(server).refused, 1u);
  EXPECT_EQ(server.stop(), "");
}

TEST_P(ArchitectureTest, SurvivesClientsThatVanish) {
  ServerProcess server(*GetParam(), settings(Workload::kv), sys::SocketAddress::loopback(0), kTimeout);
  const ServerSample idle = serving(server);
  for (int i = 0; i < 20; ++i) {
    // Half a request, then gone; then a reset with a request in flight; then a client that
    // sends and never reads.
    sys::Fd half = connect_to(server);
    const auto request = kv_request(kv::Op::set, "key:00000009", pattern(5000, 1), 1);
    sys::write_exact(half.get(), std::span(request).first(100));
    half.reset();

    sys::Fd reset = connect_to(server);
    sys::write_exact(reset.get(), request);
    const linger abort{1, 0};
    ::setsockopt(reset.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    reset.reset();
  }
  {
    sys::Fd deaf = connect_to(server);
    sys::set_nonblocking(deaf.get());
    const auto request = kv_request(kv::Op::get, "key:00000009", {}, 2);
    for (int i = 0; i < 20000; ++i)
      if (::send(deaf.get(), request.data(), request.size(), MSG_NOSIGNAL) < 0) break;
  }
  sys::Fd client = connect_to(server);
  set_receive_timeout(client.get());
  sys::write_exact(client.get(), kv_request(kv::Op::get, "key:00000009", {}, 3));
  EXPECT_EQ(read_kv_reply(client.get()).header.id, 3u);
  client.reset();
  const ServerSample after = settled(server);
  EXPECT_EQ(after.closed, after.accepted);
  EXPECT_EQ(after.open_fds, idle.open_fds);
  EXPECT_EQ(server.stop(), "");
}

TEST_P(ArchitectureTest, StopsGracefullyWithConnectionsOpen) {
  ServerProcess server(*GetParam(), settings(Workload::echo), sys::SocketAddress::loopback(0), kTimeout);
  std::vector<sys::Fd> clients;
  for (int i = 0; i < 10; ++i) clients.push_back(connect_to(server));
  const auto request = pattern(64, 1);
  for (auto& c : clients) {
    set_receive_timeout(c.get());
    sys::write_exact(c.get(), request);
  }
  std::vector<std::byte> got(64);
  sys::read_exact(clients[0].get(), got);
  EXPECT_EQ(server.stop(), "");
  // Every connection is closed by the server: EOF (after any reply still on its way).
  for (auto& c : clients) {
    std::array<std::byte, 128> rest;
    ssize_t n;
    do {
      n = ::recv(c.get(), rest.data(), rest.size(), 0);
    } while (n > 0);
    EXPECT_TRUE(n == 0 || errno == ECONNRESET);
  }
}

// A stop asked for before serve() has even waited for it: a loop that registers the stop
// descriptor edge-triggered must not miss that it is readable already.
TEST_P(ArchitectureTest, StopsRightAfterStarting) {
  ServerProcess server(*GetParam(), settings(Workload::echo), sys::SocketAddress::loopback(0), kTimeout);
  EXPECT_EQ(server.stop(), "");
}

// A peer that sends and never reads holds replies the server cannot write: the stop gives
// up on them after the grace and still returns.
TEST_P(ArchitectureTest, StopsWhileAPeerNeverReads) {
  ServerProcess server(*GetParam(), settings(Workload::echo), sys::SocketAddress::loopback(0), kTimeout);
  sys::Fd deaf = connect_to(server);
  sys::set_nonblocking(deaf.get());
  // Until the socket stays full: every buffer on the way is, and the server waits to write.
  const auto chunk = pattern(65536, 5);
  for (pollfd room{deaf.get(), POLLOUT, 0}; ::poll(&room, 1, 200) > 0;) {
    while (::send(deaf.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL) > 0) {
    }
    ASSERT_EQ(errno, EAGAIN) << "the server closed a connection that only sends";
  }
  EXPECT_EQ(server.stop(), "");
}

// What an idle `coro` connection costs beyond its socket: its frame, which holds its
// RequestBuffers (docs/servers.md quotes these numbers).
TEST(CoroServer, ConnectionFrameHoldsItsBuffers) {
  EchoProtocol echo;
  KvStore store;
  KvProtocol kv(store);
  const std::size_t echo_bytes = CoroServer::connection_frame_bytes(echo);
  const std::size_t kv_bytes = CoroServer::connection_frame_bytes(kv);
  RecordProperty("echo_frame_bytes", std::to_string(echo_bytes));
  RecordProperty("kv_frame_bytes", std::to_string(kv_bytes));
  EXPECT_GT(echo_bytes, sizeof(RequestBuffers));
  EXPECT_GT(kv_bytes, sizeof(RequestBuffers));
}

std::vector<const ArchitectureEntry*> all_architectures() {
  std::vector<const ArchitectureEntry*> all;
  for (const ArchitectureEntry& e : architectures()) all.push_back(&e);
  return all;
}

INSTANTIATE_TEST_SUITE_P(Every, ArchitectureTest, ::testing::ValuesIn(all_architectures()),
                         [](const auto& test) { return std::string(test.param->name); });

}  // namespace
}  // namespace ipcbench
