// Every server architecture, through one parametrized test: many connections, partial I/O, kv, clients that vanish or misbehave, graceful stop, nothing leaked.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <string>
#include <thread>
#include <vector>

#include "harness/sys/io.hpp"
#include "harness/sys/socket.hpp"
#include "servers/coro.hpp"
#include "servers/kv_store.hpp"
#include "servers/kv_wire.hpp"
#include "servers/request_buffers.hpp"
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

std::span<const std::byte> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

// One response: its head up to the blank line, then as many body bytes as Content-Length says
// (none for a HEAD). Never reads past it, so that a pipelined response behind it is the next call's.
std::string read_http_response(int fd, bool to_head = false) {
  std::string text;
  while (!text.ends_with("\r\n\r\n")) {
    char c;
    if (::recv(fd, &c, 1, 0) != 1) return text + "<closed>";
    text += c;
  }
  const std::size_t at = text.find("Content-Length: ");
  const std::size_t body = at == std::string::npos || to_head ? 0 : std::stoul(text.substr(at + 16));
  std::string rest(body, '\0');
  sys::read_exact(fd, std::as_writable_bytes(std::span(rest)));
  return text + rest;
}

// True when the peer closes (EOF or reset) within the receive timeout, with nothing more to read.
bool closes(int fd) {
  char c;
  const ssize_t n = ::recv(fd, &c, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

// Waits until the server has closed every connection it accepted and its threads and
// descriptors have stopped changing, then returns its sample: a sample reads those before
// the counters, and a joined thread leaves the kernel's count a moment after it is joined.
ServerSample settled(ServerProcess& server) {
  ServerSample previous = server.sample();
  for (int i = 0; i < 500; ++i) {
    std::this_thread::sleep_for(10ms);
    const ServerSample s = server.sample();
    if (s.closed == s.accepted && previous.closed == previous.accepted && s.threads == previous.threads &&
        s.open_fds == previous.open_fds)
      return s;
    previous = s;
  }
  return previous;
}

// The sample of a server that has served one connection and closed it: whatever an
// architecture allocates at its first connection (a thread's stack, a lazily grown table)
// is then in the baseline, not counted as a leak.
ServerSample idle_sample(ServerProcess& server, Workload workload) {
  sys::Fd client = connect_to(server);
  set_receive_timeout(client.get());
  if (protocol_of(workload) == Speaks::kv) {
    sys::write_exact(client.get(), kv_request(kv::Op::get, "key:00000000", {}, 0));
    static_cast<void>(read_kv_reply(client.get()));
  } else if (protocol_of(workload) == Speaks::http) {
    sys::write_exact(client.get(), as_bytes("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
    static_cast<void>(read_http_response(client.get()));
  } else {
    const std::byte one{1};
    sys::write_exact(client.get(), std::span(&one, 1));
    std::byte back;
    sys::read_exact(client.get(), std::span(&back, 1));
  }
  client.reset();
  return settled(server);
}

class ArchitectureTest : public ::testing::TestWithParam<const ArchitectureEntry*> {
 protected:
  ServerSettings settings(Workload workload) const { return {workload, {}, 2}; }
};

// The http workload: keep-alive GETs, pipelined ones, a head trickled in a byte at a time,
// HEAD, an explicit close, and refusals (malformed, oversized, a body, another method), each
// answered with its status and the connection closed.
TEST_P(ArchitectureTest, ServesHttpGetsAndRefusesWhatIsNotOne) {
  testing::ResourceSnapshot before;
  {
    ServerSettings http = settings(Workload::http);
    http.http_body_bytes = 100;
    ServerProcess server(*GetParam(), http, sys::SocketAddress::loopback(0), kTimeout);
    sys::Fd first = connect_to(server);
    set_receive_timeout(first.get());
    sys::write_exact(first.get(), as_bytes("GET /x HTTP/1.1\r\nHost: t\r\n\r\n"));
    const std::string ok = read_http_response(first.get());
    EXPECT_TRUE(ok.starts_with("HTTP/1.1 200 OK\r\n")) << ok;
    EXPECT_NE(ok.find("Content-Length: 100\r\n"), std::string::npos) << ok;
    EXPECT_EQ(ok.size() - ok.find("\r\n\r\n") - 4, 100u);

    sys::Fd keep = connect_to(server);
    set_receive_timeout(keep.get());
    for (int i = 0; i < 3; ++i) {
      sys::write_exact(keep.get(), as_bytes("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
      EXPECT_EQ(read_http_response(keep.get()), ok) << "request " << i << " on one connection";
    }
    sys::write_exact(keep.get(), as_bytes("GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n"
                                          "HEAD /c HTTP/1.1\r\nHost: t\r\n\r\n"));
    EXPECT_EQ(read_http_response(keep.get()), ok);
    EXPECT_EQ(read_http_response(keep.get()), ok);
    const std::string head_only = read_http_response(keep.get(), true);
    EXPECT_EQ(head_only, ok.substr(0, ok.find("\r\n\r\n") + 4)) << "HEAD: the header without the body";
    for (char c : std::string_view("GET /slow HTTP/1.1\r\nHost: t\r\nUser-Agent: a byte at a time\r\n\r\n"))
      sys::write_exact(keep.get(), as_bytes(std::string_view(&c, 1)));
    EXPECT_EQ(read_http_response(keep.get()), ok);

    sys::Fd closing = connect_to(server);
    set_receive_timeout(closing.get());
    sys::write_exact(closing.get(), as_bytes("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n"));
    const std::string last = read_http_response(closing.get());
    EXPECT_NE(last.find("Connection: close\r\n"), std::string::npos) << last;
    EXPECT_TRUE(closes(closing.get())) << "closed after the response to Connection: close, the next request unread";

    const std::pair<std::string, std::string_view> refusals[] = {
        {"GET / HTTP/1.1\nHost: t\n\n", "400"},
        {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "400"},
        {"GET / HTTP/1.1\r\n\r\n", "400"},
        {"GET / HTTP/1.1\r\nHost: t\r\n Folded: yes\r\n\r\n", "400"},
        {"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", "400"},
        {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", "405"},
        {"GET / HTTP/2.0\r\nHost: t\r\n\r\n", "505"},
        {"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n", "431"},
    };
    for (const auto& [request, status] : refusals) {
      sys::Fd bad = connect_to(server);
      set_receive_timeout(bad.get());
      // The oversized head may be refused before all of it is written: the rest is the server's to drop.
      (void)::send(bad.get(), request.data(), request.size(), MSG_NOSIGNAL);
      const std::string reply = read_http_response(bad.get());
      EXPECT_TRUE(reply.starts_with(fmt::format("HTTP/1.1 {}", status))) << request.substr(0, 40) << " -> " << reply;
      EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos) << reply;
      EXPECT_TRUE(closes(bad.get())) << "closed after refusing " << request.substr(0, 40);
    }
    EXPECT_GE(server.sample().refused, std::size(refusals));
    EXPECT_EQ(server.stop(), "");
  }
  EXPECT_EQ(testing::ResourceSnapshot(), before);
}

TEST_P(ArchitectureTest, EchoesEveryByteOverManyConnectionsAndSizes) {
  testing::ResourceSnapshot before;
  {
    ServerProcess server(*GetParam(), settings(Workload::echo), sys::SocketAddress::loopback(0), kTimeout);
    const ServerSample idle = idle_sample(server, Workload::echo);
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
  const ServerSample idle = idle_sample(server, Workload::kv);
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

// Clients at once, each pipelining SET/GET pairs on its own keys: the replies come in
// request order and every GET sees its own SET, whichever thread answered what.
TEST_P(ArchitectureTest, AnswersConcurrentPipelinedKvClientsInOrder) {
  ServerProcess server(*GetParam(), settings(Workload::kv), sys::SocketAddress::loopback(0), kTimeout);
  constexpr int kClients = 4;
  constexpr int kPairs = 100;
  std::vector<std::jthread> clients;
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&server, c] {
      try {
        sys::Fd fd = connect_to(server);
        set_receive_timeout(fd.get());
        std::vector<std::byte> requests;
        for (int i = 0; i < kPairs; ++i) {
          const std::string key = fmt::format("key:{:04}{:04}", c, i);
          const auto set = kv_request(kv::Op::set, key, pattern(100 + i, static_cast<std::uint8_t>(c)), 2 * i);
          const auto get = kv_request(kv::Op::get, key, {}, 2 * i + 1);
          requests.insert(requests.end(), set.begin(), set.end());
          requests.insert(requests.end(), get.begin(), get.end());
        }
        sys::write_exact(fd.get(), requests);
        for (int i = 0; i < 2 * kPairs; ++i) {
          const KvReply reply = read_kv_reply(fd.get());
          ASSERT_EQ(reply.header.id, static_cast<std::uint64_t>(i)) << "client " << c;
          ASSERT_EQ(reply.header.code, static_cast<std::uint8_t>(kv::Status::ok)) << "client " << c << ", reply " << i;
          if (i % 2 == 1) {
            ASSERT_EQ(reply.value, pattern(100 + i / 2, static_cast<std::uint8_t>(c))) << "client " << c;
          }
        }
      } catch (const std::exception& error) {
        ADD_FAILURE() << "client " << c << ": " << error.what();
      }
    });
  clients.clear();
  const ServerSample after = settled(server);
  EXPECT_EQ(after.closed, after.accepted);
  EXPECT_EQ(after.refused, 0u);
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

TEST_P(ArchitectureTest, ResumesReadingOnceASlowReaderCatchesUp) {
  ServerProcess server(*GetParam(), settings(Workload::echo), sys::SocketAddress::loopback(0), kTimeout);
  sys::Fd client = connect_to(server);
  set_receive_timeout(client.get());
  // Far more than the sockets and RequestBuffers::kMaxUnsentBytes hold: the server has to
  // stop reading, then read again once this client reads.
  const auto sent = pattern(8 << 20, 5);
  std::jthread writer([&] { sys::write_exact(client.get(), sent); });
  std::this_thread::sleep_for(100ms);
  std::vector<std::byte> got(sent.size());
  sys::read_exact(client.get(), got);
  writer.join();
  EXPECT_EQ(got, sent);
  client.reset();
  const ServerSample after = settled(server);
  EXPECT_EQ(after.closed, after.accepted);
  EXPECT_EQ(server.stop(), "");
}

TEST_P(ArchitectureTest, AnswersAClientThatShutsItsWritingSide) {
  ServerProcess server(*GetParam(), settings(Workload::kv), sys::SocketAddress::loopback(0), kTimeout);
  sys::Fd client = connect_to(server);
  set_receive_timeout(client.get());
  sys::write_exact(client.get(), kv_request(kv::Op::get, "key:00000004", {}, 8));
  ::shutdown(client.get(), SHUT_WR);
  EXPECT_EQ(read_kv_reply(client.get()).header.id, 8u);
  std::byte more;
  EXPECT_EQ(::recv(client.get(), &more, 1, 0), 0);
  client.reset();
  EXPECT_EQ(settled(server).closed, 1u);
  EXPECT_EQ(server.stop(), "");
}

// The stop's grace ends writes nobody reads: the server still stops, and in time.
TEST_P(ArchitectureTest, StopsWhenAClientNeverReadsItsReplies) {
  ServerProcess server(*GetParam(), settings(Workload::echo), sys::SocketAddress::loopback(0), kTimeout);
  sys::Fd deaf = connect_to(server);
  sys::set_nonblocking(deaf.get());
  // Until the client's socket stays full: the server stopped reading, its replies blocked.
  const auto chunk = pattern(65536, 9);
  for (int full = 0, i = 0; full < 5 && i < 1024; ++i) {
    if (::send(deaf.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL) >= 0) {
      full = 0;
    } else {
      ++full;
      std::this_thread::sleep_for(20ms);
    }
  }
  EXPECT_EQ(server.stop(), "");
}

// A stop asked for before serve() has even waited for it: a loop that registers the stop
// descriptor edge-triggered must not miss that it is readable already.
TEST_P(ArchitectureTest, StopsRightAfterStarting) {
  ServerProcess server(*GetParam(), settings(Workload::echo), sys::SocketAddress::loopback(0), kTimeout);
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
