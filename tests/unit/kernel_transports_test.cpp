// The kernel transports (pipe, unix, udp, udp-epoll, eventfd) driven directly: echo integrity, peer loss, UDP loss.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include "tests/support/watchdog.hpp"
#include "harness/message.hpp"
#include "harness/sys/io.hpp"
#include "transports/eventfd.hpp"
#include "transports/pipe.hpp"
#include "transports/udp.hpp"
#include "transports/unix_stream.hpp"

namespace ipcbench {
namespace {

class IgnoreSigpipe : public ::testing::Environment {
 public:
  void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }  // as the harness does
};
[[maybe_unused]] ::testing::Environment* const kIgnoreSigpipe = ::testing::AddGlobalTestEnvironment(new IgnoreSigpipe);

template <class E>
concept ReportsLosses = requires(const E& endpoint) { endpoint.lost(); };

template <class E>
concept DropsForTests = requires(E& endpoint) { endpoint.set_drop_every_nth_for_tests(1u); };

struct EchoOptions {
  bool same_buffer = false;          // the harness receives the reply into the request's buffer
  std::uint32_t drop_every_nth = 0;  // UDP only
  std::optional<std::uint64_t> stall_before_reply_to = std::nullopt;  // sleep past the UDP reply timeout, once
};

struct EchoOutcome {
  std::uint64_t lost = 0;
  std::uint64_t requests_answered = 0;
};

// Server side: receive, check the request's pattern, mark the reply, send it back, until the
// stop message (sequences stay below 255, so a 1-byte stop cannot be a sequence).
template <class E>
std::uint64_t echo_until_stop(E& endpoint, std::size_t size, const EchoOptions& options) {
  std::vector<std::byte> message(size);
  const Header header(size);
  std::uint64_t answered = 0;
  bool stalled = false;
  for (;;) {
    endpoint.receive(message);
    if (header.may_be_stop(message)) return answered;
    const std::uint64_t sequence = header.read(message);
    const std::size_t bad = find_pattern_error(message, header.width(), sequence);
    if (bad != size) throw ProtocolError("server: corrupt request byte " + std::to_string(bad));
    if (!stalled && options.stall_before_reply_to == sequence) {
      stalled = true;
      std::this_thread::sleep_for(kUdpReplyTimeout + std::chrono::milliseconds(100));
    }
    header.mark_reply(message);
    endpoint.send(message);
    ++answered;
  }
}

template <class E>
void ping(E& endpoint, std::size_t size, std::uint64_t round_trips, bool same_buffer) {
  std::vector<std::byte> request(size);
  std::vector<std::byte> separate_reply(size);
  const std::span<std::byte> reply = same_buffer ? std::span<std::byte>(request) : std::span<std::byte>(separate_reply);
  const Header header(size);
  for (std::uint64_t sequence = 0; sequence < round_trips; ++sequence) {
    header.stamp(request, sequence);
    fill_pattern(request, header.width(), sequence & header.mask());
    endpoint.send(request);
    endpoint.receive(reply);
    ASSERT_TRUE(header.is_reply_to(reply, sequence)) << "round trip " << sequence << " of " << size << " bytes";
    ASSERT_EQ(find_pattern_error(reply, header.width(), sequence & header.mask()), size)
        << "round trip " << sequence << " of " << size << " bytes";
    if (!same_buffer) {
      ASSERT_EQ(std::memcmp(reply.data() + header.width(), request.data() + header.width(), size - header.width()), 0);
    }
  }
  header.stamp_stop(request);
  endpoint.send(request);
}

// Client in this thread, server in another, each taking its endpoint on its own side.
template <class T>
EchoOutcome echo_in_threads(std::size_t size, std::uint64_t round_trips, const EchoOptions& options = {}) {
  T transport(TransportSetup{size});
  std::exception_ptr server_error;
  std::uint64_t answered = 0;
  std::thread server_thread([&] {
    try {
      auto server = transport.server();
      if constexpr (DropsForTests<decltype(server)>) server.set_drop_every_nth_for_tests(options.drop_every_nth);
      answered = echo_until_stop(server, size, options);
    } catch (...) {
      server_error = std::current_exception();
    }
  });
  EchoOutcome outcome;
  {
    // Leaving this scope, even by a failed ASSERT, closes the client, which ends the server.
    auto client = transport.client();
    try {
      ping(client, size, round_trips, options.same_buffer);
    } catch (const std::exception& error) {
      ADD_FAILURE() << "client: " << error.what();
    }
    if constexpr (ReportsLosses<decltype(client)>) outcome.lost = client.lost();
  }
  server_thread.join();
  if (server_error) {
    try {
      std::rethrow_exception(server_error);
    } catch (const std::exception& error) {
      ADD_FAILURE() << "server: " << error.what();
    }
  }
  outcome.requests_answered = answered;
  return outcome;
}

template <class T>
class KernelTransportTest : public ::testing::Test {
 protected:
  void SetUp() override { fds_before_ = testing::open_fd_count(); }
  void TearDown() override { EXPECT_EQ(testing::open_fd_count(), fds_before_) << "descriptors leaked"; }

 private:
  std::size_t fds_before_ = 0;
  testing::Watchdog watchdog_{std::chrono::seconds(120)};
};

using KernelTransports = ::testing::Types<Pipe, UnixStream, Udp, UdpEpoll, Eventfd>;
TYPED_TEST_SUITE(KernelTransportTest, KernelTransports);

TYPED_TEST(KernelTransportTest, InfoIsConsistent) {
  EXPECT_TRUE(TypeParam::kInfo.thread_mode);
  EXPECT_TRUE(TypeParam::kInfo.process_mode);
  EXPECT_EQ(TypeParam::kInfo.wait, WaitKind::block);
  EXPECT_GE(TypeParam::kInfo.max_payload_bytes, std::size_t{65507});
  static_assert(Transport<TypeParam>);
}

TYPED_TEST(KernelTransportTest, EchoesEveryByteAtEverySize) {
  for (const std::size_t size : {std::size_t{1}, std::size_t{64}, std::size_t{4096}, TypeParam::kInfo.max_payload_bytes}) {
    SCOPED_TRACE(::testing::Message() << TypeParam::kInfo.name << ", " << size << " bytes");
    const EchoOutcome separate = echo_in_threads<TypeParam>(size, 200);
    EXPECT_EQ(separate.requests_answered, 200u);
    const EchoOutcome shared = echo_in_threads<TypeParam>(size, 200, {.same_buffer = true});
    EXPECT_EQ(shared.requests_answered, 200u);
  }
}

TYPED_TEST(KernelTransportTest, EchoesAcrossFork) {
  constexpr std::size_t kSize = 4096;
  std::optional<TypeParam> transport(std::in_place, TransportSetup{kSize});
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int status = 1;
    try {
      auto server = transport->server();
      transport.reset();
      status = echo_until_stop(server, kSize, {}) == 100 ? 0 : 2;
    } catch (...) {
      status = 3;
    }
    std::_Exit(status);
  }
  {
    auto client = transport->client();
    transport.reset();
    ping(client, kSize, 100, true);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
}

TYPED_TEST(KernelTransportTest, ClientSeesServerGo) {
  TypeParam transport(TransportSetup{64});
  auto client = transport.client();
  std::vector<std::byte> message(64);
  const Header header(64);
  {
    auto server = transport.server();
    client.send(message);
    server.receive(message);
    header.mark_reply(message);
    server.send(message);
    client.receive(message);
  }
  EXPECT_THROW(
      {
        client.send(message);
        client.receive(message);
      },
      PeerClosed);
}

TYPED_TEST(KernelTransportTest, ServerSeesClientGo) {
  TypeParam transport(TransportSetup{64});
  auto server = transport.server();
  std::vector<std::byte> message(64);
  { auto client = transport.client(); }
  EXPECT_THROW(server.receive(message), PeerClosed);
}

// The last reply and the close can reach the client together: the reply still counts.
TYPED_TEST(KernelTransportTest, ReplyBeforeCloseIsDelivered) {
  TypeParam transport(TransportSetup{64});
  auto client = transport.client();
  std::vector<std::byte> message(64);
  const Header header(64);
  header.stamp(message, 7);
  {
    auto server = transport.server();
    client.send(message);
    server.receive(message);
    header.mark_reply(message);
    server.send(message);
  }
  std::ranges::fill(message, std::byte{0});
  client.receive(message);
  EXPECT_TRUE(header.is_reply_to(message, 7));
  EXPECT_THROW(client.receive(message), PeerClosed);
}

TEST(EventfdTest, SlotsAreCacheLineAligned) {
  Eventfd transport(TransportSetup{64});
  EXPECT_EQ(offsetof(EventfdSlots, to_client) % 64, 0u);
  EXPECT_EQ(alignof(EventfdSlots), 64u);
}

template <class T>
class UdpTest : public KernelTransportTest<T> {};
using UdpTransports = ::testing::Types<Udp, UdpEpoll>;
TYPED_TEST_SUITE(UdpTest, UdpTransports);

// Every 5th request vanishes: each costs one timeout and one resend, none a round trip.
TYPED_TEST(UdpTest, DroppedRequestsAreResentAndCounted) {
  constexpr std::uint64_t kRoundTrips = 21;
  constexpr std::uint64_t kDrops = (kRoundTrips - 1) / 4;  // 4 answered per 5 received
  for (const bool same_buffer : {true, false}) {
    for (const std::size_t size : {std::size_t{1}, kUdpMaxPayloadBytes}) {
      SCOPED_TRACE(::testing::Message() << size << " bytes, same buffer " << same_buffer);
      const EchoOutcome outcome =
          echo_in_threads<TypeParam>(size, kRoundTrips, {.same_buffer = same_buffer, .drop_every_nth = 5});
      EXPECT_EQ(outcome.lost, kDrops);
      EXPECT_EQ(outcome.requests_answered, kRoundTrips);
    }
  }
}

// A reply later than the timeout: the client resends, the server answers both copies, and the
// client drops the stale second reply in the next round trip (into the request's buffer).
TYPED_TEST(UdpTest, LateReplyIsResentAndStaleCopyDropped) {
  constexpr std::uint64_t kRoundTrips = 10;
  for (const bool same_buffer : {true, false}) {
    SCOPED_TRACE(::testing::Message() << "same buffer " << same_buffer);
    const EchoOutcome outcome =
        echo_in_threads<TypeParam>(512, kRoundTrips, {.same_buffer = same_buffer, .stall_before_reply_to = 3});
    EXPECT_GE(outcome.lost, 1u);
    EXPECT_EQ(outcome.requests_answered, kRoundTrips + outcome.lost);
  }
}

TYPED_TEST(UdpTest, SilentPeerEndsInPeerClosed) {
  TypeParam transport(TransportSetup{64});
  auto client = transport.client();
  auto server = transport.server();  // alive, never answers
  std::vector<std::byte> message(64);
  client.send(message);
  EXPECT_THROW(client.receive(message), PeerClosed);
  EXPECT_EQ(client.lost(), static_cast<std::uint64_t>(kUdpMaxWaits - 1));
}

TYPED_TEST(UdpTest, WrongSizedDatagramIsProtocolError) {
  TypeParam transport(TransportSetup{64});
  auto client = transport.client();
  auto server = transport.server();
  std::vector<std::byte> message(64);
  std::vector<std::byte> small(32);
  std::vector<std::byte> large(128);
  client.send(message);
  EXPECT_THROW(server.receive(small), ProtocolError);  // truncated
  client.send(message);
  EXPECT_THROW(server.receive(large), ProtocolError);  // short
}

TEST(UdpInfoTest, MaxPayloadIsTheIpv4Limit) {
  EXPECT_EQ(Udp::kInfo.max_payload_bytes, 65507u);
  EXPECT_EQ(UdpEpoll::kInfo.max_payload_bytes, 65507u);
  EXPECT_EQ(Udp::kInfo.name, "udp");
  EXPECT_EQ(UdpEpoll::kInfo.name, "udp-epoll");
}

}  // namespace
}  // namespace ipcbench
