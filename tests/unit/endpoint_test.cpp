// Every two-sided transport's endpoints driven by the harness's own loops in two threads: echo integrity at every size,
// no allocation per round trip, what a side sees when its peer goes; socket set-up; datagram loss and its recovery.
#include <event2/event.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <new>
#include <thread>

#include "tests/support/echo.hpp"
#include "tests/support/transport_types.hpp"
#include "tests/support/watchdog.hpp"

// Every allocation of the process is counted, C++ and libevent's own, so that a test can show
// that a round trip allocates nothing once the endpoints exist.
namespace {
std::atomic<long> g_allocations{0};

void* counted_malloc(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size);
}
void* counted_realloc(void* pointer, std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(pointer, size);
}
void* counted_aligned(std::size_t size, std::align_val_t alignment) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  const auto align = static_cast<std::size_t>(alignment);
  return std::aligned_alloc(align, (size + align - 1) / align * align);
}

// Before main, so that libevent allocates through it from its first call on.
[[maybe_unused]] const bool kLibeventCounted = [] {
  event_set_mem_functions(&counted_malloc, &counted_realloc, &std::free);
  return true;
}();

long allocations() { return g_allocations.load(std::memory_order_relaxed); }
}  // namespace

// Out of line, so that the compiler never pairs an inlined free() with an operator new.
[[gnu::noinline]] void* operator new(std::size_t size) {
  if (void* p = counted_malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t size) { return ::operator new(size); }
[[gnu::noinline]] void* operator new(std::size_t size, std::align_val_t alignment) {
  if (void* p = counted_aligned(size == 0 ? 1 : size, alignment)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t size, std::align_val_t alignment) { return ::operator new(size, alignment); }
// The nothrow forms too: libzmq allocates with new (std::nothrow), and a pair of replaced and
// runtime forms would free one allocator's memory with the other's.
[[gnu::noinline]] void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_malloc(size == 0 ? 1 : size); }
[[gnu::noinline]] void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_malloc(size == 0 ? 1 : size); }
[[gnu::noinline]] void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return counted_aligned(size == 0 ? 1 : size, alignment);
}
[[gnu::noinline]] void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return counted_aligned(size == 0 ? 1 : size, alignment);
}
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace ipcbench {
namespace {

using namespace std::chrono_literals;

class IgnoreSigpipe : public ::testing::Environment {
 public:
  void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }  // as the harness does
};
[[maybe_unused]] ::testing::Environment* const kIgnoreSigpipe = ::testing::AddGlobalTestEnvironment(new IgnoreSigpipe);

template <class T>
class EndpointTest : public ::testing::Test {
 protected:
  void SetUp() override { fds_before_ = testing::open_fd_count(); }
  void TearDown() override { EXPECT_EQ(testing::open_fd_count(), fds_before_) << "descriptors leaked"; }

 private:
  std::size_t fds_before_ = 0;
  testing::Watchdog watchdog_{std::chrono::seconds(120)};
};
// Every two-sided transport, and the busy-polled variants of those that have one.
using EndpointTypes =
    testing::ToGtestTypes<testing::Concat<testing::TwoSidedTransports, testing::BusyPolledTransports>::type>::type;
TYPED_TEST_SUITE(EndpointTest, EndpointTypes, testing::TransportName);

// No error on either side, every round trip done, and the server answered `answered` requests
// (besides the warm-up): each request once, and each resent copy of it again.
void expect_clean(const testing::EchoOutcome& outcome, std::uint64_t round_trips, std::uint64_t warmup = 0) {
  EXPECT_EQ(outcome.client_error, "");
  EXPECT_EQ(outcome.server_error, "");
  EXPECT_EQ(outcome.round_trips, round_trips);
  EXPECT_EQ(outcome.answered, warmup + round_trips + outcome.lost);
}

TYPED_TEST(EndpointTest, EchoesEveryByteAtEverySize) {
  for (const std::size_t size : {std::size_t{1}, std::size_t{64}, std::size_t{4096}, TypeParam::kInfo.max_payload_here()}) {
    SCOPED_TRACE(fmt::format("{} bytes", size));
    // Every byte of every message is checked either way; at 1 MiB 20 round trips do that for
    // 40 MiB, and 200 took 20 s per transport under TSan.
    const std::uint64_t round_trips = size > 64 * 1024 ? 20 : 200;
    expect_clean(testing::echo<TypeParam>(size, round_trips), round_trips);
  }
}

TYPED_TEST(EndpointTest, RoundTripsAllocateNothing) {
  const testing::EchoOutcome outcome = testing::echo<TypeParam>(64, 1000, testing::AsIs{}, 100, &allocations);
  expect_clean(outcome, 1000, 100);
  EXPECT_EQ(outcome.allocations, 0);
}

// The server side ends after one answer; the client's next round trip must fail, not hang.
struct AnswerOnceThenClose {
  template <class E>
  struct Once {
    E* inner;
    bool answered = false;
    void receive(std::span<std::byte> message) {
      if (answered) throw PeerClosed("closing on purpose");
      inner->receive(message);
    }
    void send(std::span<const std::byte> message) {
      inner->send(message);
      answered = true;
    }
  };
  template <class E>
  Once<E> operator()(E& endpoint) const {
    return {&endpoint};
  }
};

TYPED_TEST(EndpointTest, ClientSeesTheServerGo) {
  if (!TypeParam::kInfo.sees_peer_close) GTEST_SKIP() << "only the supervisor sees a " << TypeParam::kInfo.name << " peer go";
  const testing::EchoOutcome outcome = testing::echo<TypeParam>(64, 3, AnswerOnceThenClose{});
  EXPECT_EQ(outcome.round_trips, 1u) << "the reply sent just before the close must still arrive";
  EXPECT_NE(outcome.client_error, "") << "a round trip to a server that is gone succeeded";
}

// The client goes after two round trips without the stop: the server's loop must end.
TYPED_TEST(EndpointTest, ServerSeesTheClientGo) {
  if (!TypeParam::kInfo.sees_peer_close) GTEST_SKIP() << "only the supervisor sees a " << TypeParam::kInfo.name << " peer go";
  testing::LocalPair<TypeParam> pair(TransportSetup{64});
  std::atomic<std::uint32_t> stop{0};
  const InBandFormat format(64, stop);
  ControlBlock unused;
  std::string server_error;
  std::thread server([&] {
    try {
      auto endpoint = pair.server();
      NoHooks hooks("test", Role::server, unused);
      MessageBuffer buffer(64);
      answer_until_stop<decltype(endpoint), InBandFormat, false>(endpoint, format, buffer.bytes(), hooks);
    } catch (const PeerClosed& error) {
      server_error = error.what();
    }
  });
  {
    auto endpoint = pair.client();
    MessageBuffer buffer(64);
    Pinger<decltype(endpoint), InBandFormat, false> pinger(endpoint, format, buffer.bytes());
    pinger.run(2);
  }
  server.join();
  EXPECT_NE(server_error, "") << "the server's loop did not end in PeerClosed";
}

template <class T>
class SocketTest : public EndpointTest<T> {};
TYPED_TEST_SUITE(SocketTest, testing::SocketTransportTypes, testing::TransportName);

TYPED_TEST(SocketTest, AcceptWithoutAPeerFailsByItsDeadline) {
  typename TypeParam::Listener listener(sys::SocketAddress::loopback(0), TransportSetup{64});
  const std::string address = listener.address().to_string();
  try {
    [[maybe_unused]] auto endpoint = listener.accept(sys::deadline_in(200ms), std::nullopt);
    ADD_FAILURE() << "accept returned without a peer";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(address), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("in time"), std::string::npos) << error.what();
  }
}

// A peer from another host (127.0.0.2 is this machine's loopback too) is not taken for the
// one expected.
TYPED_TEST(SocketTest, RefusesAPeerFromAnotherHost) {
  typename TypeParam::Listener listener(sys::SocketAddress::loopback(0), TransportSetup{64});
  using Client = decltype(TypeParam::connect(listener.address(), TransportSetup{64}, 1s));
  const int type = LossyEndpoint<Client> ? SOCK_DGRAM : SOCK_STREAM;
  sys::SocketAddress stranger_address = sys::SocketAddress::parse("127.0.0.2:0");
  sys::Fd stranger = sys::open_socket(stranger_address, type);
  sys::bind_to(stranger.get(), stranger_address);
  ASSERT_EQ(::connect(stranger.get(), listener.address().get(), listener.address().length()), 0);
  if (type == SOCK_DGRAM) {
    ASSERT_EQ(::send(stranger.get(), "x", 1, 0), 1);
  }
  EXPECT_THROW((void)listener.accept(sys::deadline_in(300ms), sys::SocketAddress::loopback(0)), std::runtime_error);
}

TYPED_TEST(SocketTest, AClosedPortFailsTheConnectOrTheFirstRoundTrip) {
  sys::SocketAddress closed = [] {
    typename TypeParam::Listener listener(sys::SocketAddress::loopback(0), TransportSetup{64});
    return listener.address();
  }();
  std::atomic<std::uint32_t> stop{0};
  const InBandFormat format(64, stop);
  try {
    auto endpoint = TypeParam::connect(closed, TransportSetup{64}, 1s);
    MessageBuffer buffer(64);
    Pinger<decltype(endpoint), InBandFormat, false> pinger(endpoint, format, buffer.bytes());
    EXPECT_THROW(pinger.round_trip(), PeerClosed);
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find(closed.to_string()), std::string::npos) << error.what();
  }
}

// Datagram transports: the harness resends what is lost and drops what comes late.
template <class T>
struct HasLossyClient : std::bool_constant<LossyEndpoint<decltype(testing::LocalPair<T>(TransportSetup{}).client())>> {};
using LossyTypes = testing::ToGtestTypes<testing::Filter<HasLossyClient, testing::TwoSidedTransports>::type>::type;

template <class T>
class LossTest : public EndpointTest<T> {};
TYPED_TEST_SUITE(LossTest, LossyTypes, testing::TransportName);

// Silently drops every n-th request it receives, as a lossy network would.
struct DropEveryNth {
  std::uint32_t n;
  template <class E>
  struct Dropping {
    E* inner;
    std::uint32_t n;
    std::uint32_t seen = 0;
    void receive(std::span<std::byte> message) {
      do inner->receive(message);
      while (++seen % n == 0);
    }
    void send(std::span<const std::byte> message) { inner->send(message); }
  };
  template <class E>
  Dropping<E> operator()(E& endpoint) const {
    return {&endpoint, n};
  }
};

// Holds one reply for longer than the client waits.
struct LateOnce {
  std::uint32_t at;
  std::chrono::milliseconds hold;
  template <class E>
  struct Late {
    E* inner;
    std::uint32_t at;
    std::chrono::milliseconds hold;
    std::uint32_t sent = 0;
    void receive(std::span<std::byte> message) { inner->receive(message); }
    void send(std::span<const std::byte> message) {
      if (sent++ == at) std::this_thread::sleep_for(hold);
      inner->send(message);
    }
  };
  template <class E>
  Late<E> operator()(E& endpoint) const {
    return {&endpoint, at, hold};
  }
};

TYPED_TEST(LossTest, DroppedRequestsAreResentAndCounted) {
  constexpr std::uint64_t kRoundTrips = 21;
  for (const std::size_t size : {std::size_t{1}, TypeParam::kInfo.max_payload_here()}) {
    SCOPED_TRACE(fmt::format("{} bytes", size));
    const testing::EchoOutcome outcome = testing::echo<TypeParam>(size, kRoundTrips, DropEveryNth{5});
    EXPECT_EQ(outcome.client_error, "");
    EXPECT_EQ(outcome.round_trips, kRoundTrips);
    EXPECT_EQ(outcome.answered, kRoundTrips);       // a dropped request is never answered
    EXPECT_EQ(outcome.lost, (kRoundTrips - 1) / 4);  // 4 answered per 5 received
  }
}

TYPED_TEST(LossTest, LateReplyIsResentAndItsStaleCopyDropped) {
  using Client = decltype(testing::LocalPair<TypeParam>(TransportSetup{}).client());
  const testing::EchoOutcome outcome = testing::echo<TypeParam>(512, 10, LateOnce{3, Client::kReplyTimeout + 100ms});
  expect_clean(outcome, 10);
  EXPECT_GE(outcome.lost, 1u);
}

TYPED_TEST(LossTest, SilentPeerEndsInPeerClosed) {
  const testing::EchoOutcome outcome = testing::echo<TypeParam>(64, 1, DropEveryNth{1});
  EXPECT_NE(outcome.client_error.find("no reply"), std::string::npos) << outcome.client_error;
  EXPECT_EQ(outcome.round_trips, 0u);
}

TYPED_TEST(LossTest, WrongSizedDatagramIsAProtocolError) {
  typename TypeParam::Listener listener(sys::SocketAddress::loopback(0), TransportSetup{64});
  auto client = TypeParam::connect(listener.address(), TransportSetup{64}, 1s);
  std::vector<std::byte> message(64), small(32), large(128);
  client.send(message);
  auto server = listener.accept(sys::deadline_in(1s), std::nullopt);
  EXPECT_THROW(server.receive(small), ProtocolError);  // truncated
  client.send(message);
  EXPECT_THROW(server.receive(large), ProtocolError);  // short
}

// The floor beside a spinner moves what its messages move: one line both ways while both
// slots (an 8-byte sequence word and the payload each) fit in 32 bytes, else whole lines each way.
TEST(ShmLayout, CacheLinesFollowTheSlots) {
  constexpr auto lines = ShmSpin::kInfo.cache_lines;
  EXPECT_EQ(lines(1), (CacheLines{1, true}));
  EXPECT_EQ(lines(24), (CacheLines{1, true}));
  EXPECT_EQ(lines(25), (CacheLines{1, false}));
  EXPECT_EQ(lines(56), (CacheLines{1, false}));
  EXPECT_EQ(lines(57), (CacheLines{2, false}));
  EXPECT_EQ(lines(64), (CacheLines{2, false}));
  EXPECT_EQ(lines(1024), (CacheLines{17, false}));
}

}  // namespace
}  // namespace ipcbench
