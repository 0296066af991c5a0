// The TCP loopback transports (tcp, select, poll, epoll, kqueue, libevent) driven directly: echo integrity, peer loss, no leaks, no allocation per message.
#include <event2/event.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "tests/support/watchdog.hpp"
#include "harness/message.hpp"
#include "harness/sys/io.hpp"
#include "transports/epoll.hpp"
#include "transports/kqueue.hpp"
#include "transports/libevent.hpp"
#include "transports/poll.hpp"
#include "transports/select.hpp"
#include "transports/tcp.hpp"

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

long allocations() { return g_allocations.load(std::memory_order_relaxed); }

struct EchoResult {
  long round_trips = 0;
  long mismatched_round_trips = 0;
  std::size_t first_bad_index = 0;
  long allocations_after_warmup = 0;
  std::string client_error;
  std::string server_error;
};

// Two threads: the client sends a fresh pattern each round trip and compares the reply byte
// for byte, the server echoes every message back unchanged.
template <class T>
EchoResult echo(std::size_t size_bytes, long round_trips, long warmup = 0) {
  T transport(TransportSetup{size_bytes});
  EchoResult result;
  std::thread server([&] {
    try {
      auto endpoint = transport.server();
      std::vector<std::byte> message(size_bytes);
      for (long i = 0; i < warmup + round_trips; ++i) {
        endpoint.receive(message);
        endpoint.send(message);
      }
    } catch (const std::exception& error) {
      result.server_error = error.what();
    }
  });
  std::thread client([&] {
    try {
      auto endpoint = transport.client();
      std::vector<std::byte> request(size_bytes);
      std::vector<std::byte> reply(size_bytes);
      long before = allocations();
      for (long i = 0; i < warmup + round_trips; ++i) {
        if (i == warmup) before = allocations();
        fill_pattern(request, 0, static_cast<std::uint64_t>(i));
        endpoint.send(request);
        endpoint.receive(reply);
        ++result.round_trips;
        if (std::memcmp(request.data(), reply.data(), size_bytes) != 0) [[unlikely]] {
          if (result.mismatched_round_trips++ == 0)
            result.first_bad_index = find_pattern_error(reply, 0, static_cast<std::uint64_t>(i));
        }
      }
      result.allocations_after_warmup = allocations() - before;
    } catch (const std::exception& error) {
      result.client_error = error.what();
    }
  });
  client.join();
  server.join();
  return result;
}

// A connected pair of endpoints, made from two threads as the harness does.
template <class T>
struct Connected {
  using Endpoint = decltype(std::declval<T&>().client());
  T transport{TransportSetup{64}};
  std::optional<Endpoint> client;
  std::optional<Endpoint> server;

  Connected() {
    std::thread accept([this] { server.emplace(transport.server()); });
    client.emplace(transport.client());
    accept.join();
  }
};

template <class T>
class TcpTransportTest : public ::testing::Test {
 protected:
  void SetUp() override { fds_before_ = testing::open_fd_count(); }
  void TearDown() override { EXPECT_EQ(testing::open_fd_count(), fds_before_) << "descriptors leaked"; }

  testing::Watchdog watchdog_{60s};
  std::size_t fds_before_ = 0;
};

struct TransportName {
  template <class T>
  static std::string GetName(int /*index*/) {
    return std::string(T::kInfo.name);
  }
};

using TcpTransports = ::testing::Types<Tcp, Select, Poll,
#if IPCBENCH_HAVE_EPOLL
                                       Epoll,
#endif
#if IPCBENCH_HAVE_KQUEUE
                                       Kqueue,
#endif
                                       Libevent>;
TYPED_TEST_SUITE(TcpTransportTest, TcpTransports, TransportName);

TYPED_TEST(TcpTransportTest, DeclaresWhatTheHarnessNeeds) {
  static_assert(Transport<TypeParam>);
  constexpr TransportInfo info = TypeParam::kInfo;
  EXPECT_TRUE(info.thread_mode);
  EXPECT_TRUE(info.process_mode);
  EXPECT_GE(info.max_payload_bytes, std::size_t{65536});
  EXPECT_EQ(info.wait, WaitKind::block);
  EXPECT_TRUE(info.unavailable_reason.empty());
}

TYPED_TEST(TcpTransportTest, EchoesEverySizeByteForByte) {
  for (const std::size_t size : {std::size_t{1}, std::size_t{64}, std::size_t{4096}, std::size_t{65535}, std::size_t{65536}}) {
    SCOPED_TRACE(::testing::Message() << size << " bytes");
    const EchoResult result = echo<TypeParam>(size, 300);
    EXPECT_EQ(result.client_error, "");
    EXPECT_EQ(result.server_error, "");
    EXPECT_EQ(result.round_trips, 300);
    EXPECT_EQ(result.mismatched_round_trips, 0) << "first bad byte at index " << result.first_bad_index;
  }
}

TYPED_TEST(TcpTransportTest, EchoesItsMaximumPayload) {
  const std::size_t size = TypeParam::kInfo.max_payload_bytes;
  const EchoResult result = echo<TypeParam>(size, 20);
  EXPECT_EQ(result.client_error, "");
  EXPECT_EQ(result.server_error, "");
  EXPECT_EQ(result.round_trips, 20);
  EXPECT_EQ(result.mismatched_round_trips, 0) << "first bad byte at index " << result.first_bad_index;
}

TYPED_TEST(TcpTransportTest, RoundTripsAllocateNothing) {
  {  // the counter sees both kinds of allocation, or a zero below would prove nothing
    const long before = allocations();
    event_base_free(event_base_new());
    const std::runtime_error copied_by_the_library(std::string(100, 'x'));
    ASSERT_GE(allocations() - before, 2);
  }
  for (const std::size_t size : {std::size_t{64}, std::size_t{65536}}) {
    SCOPED_TRACE(::testing::Message() << size << " bytes");
    const EchoResult result = echo<TypeParam>(size, 200, 20);
    EXPECT_EQ(result.client_error, "");
    EXPECT_EQ(result.server_error, "");
    EXPECT_EQ(result.allocations_after_warmup, 0);
  }
}

TYPED_TEST(TcpTransportTest, EndpointsKeepWorkingAfterAMove) {
  Connected<TypeParam> pair;
  std::vector<std::byte> message(64, std::byte{7});
  auto client = std::move(*pair.client);
  auto server = std::move(*pair.server);
  pair.client.reset();
  pair.server.reset();
  std::thread echo_once([&] {
    std::vector<std::byte> buffer(64);
    server.receive(buffer);
    server.send(buffer);
  });
  client.send(message);
  std::vector<std::byte> reply(64);
  client.receive(reply);
  echo_once.join();
  EXPECT_EQ(reply, message);
}

TYPED_TEST(TcpTransportTest, ClientReceiveThrowsPeerClosedWhenTheServerEndpointIsGone) {
  Connected<TypeParam> pair;
  std::vector<std::byte> message(64, std::byte{1});
  pair.client->send(message);
  pair.server->receive(message);
  pair.server.reset();
  EXPECT_THROW(pair.client->receive(message), PeerClosed);
}

TYPED_TEST(TcpTransportTest, ServerBlockedInReceiveSeesPeerClosed) {
  Connected<TypeParam> pair;
  std::string outcome;
  std::thread server([&] {
    std::vector<std::byte> message(4096);
    try {
      pair.server->receive(message);
      outcome = "returned";
    } catch (const PeerClosed&) {
      outcome = "PeerClosed";
    } catch (const std::exception& error) {
      outcome = error.what();
    }
  });
  // Half a message, then the client goes away: a short read must never count as a message.
  std::vector<std::byte> half(2048, std::byte{9});
  pair.client->send(half);
  pair.client.reset();
  server.join();
  EXPECT_EQ(outcome, "PeerClosed");
}

TYPED_TEST(TcpTransportTest, SendToAClosedPeerThrowsPeerClosed) {
  Connected<TypeParam> pair;
  pair.server.reset();
  std::vector<std::byte> message(65536, std::byte{3});
  // The first sends may still land in the socket buffer; the peer's RST then fails the next.
  bool closed = false;
  for (int attempt = 0; attempt < 1000 && !closed; ++attempt) {
    try {
      pair.client->send(message);
    } catch (const PeerClosed&) {
      closed = true;
    }
  }
  EXPECT_TRUE(closed);
}

TYPED_TEST(TcpTransportTest, ServerClosesTheListenerOnceItHasItsClient) {
  Connected<TypeParam> pair;
  const std::uint16_t port = pair.transport.port();
  try {
    (void)tcp::connect_loopback(port);
    ADD_FAILURE() << "a second client could still connect to 127.0.0.1:" << port;
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), ECONNREFUSED) << error.what();
  }
  EXPECT_THROW((void)pair.transport.server(), std::logic_error);
}

// Process mode as the harness runs it: the transport is made before fork, the child takes
// the server endpoint, the parent the client one.
TYPED_TEST(TcpTransportTest, EchoesAcrossFork) {
  for (const std::size_t size : {std::size_t{64}, std::size_t{65536}}) {
    SCOPED_TRACE(::testing::Message() << size << " bytes");
    std::optional<TypeParam> transport(std::in_place, TransportSetup{size});
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      int status = 0;
      try {
        auto endpoint = transport->server();
        transport.reset();
        std::vector<std::byte> message(size);
        for (int i = 0; i < 100; ++i) {
          endpoint.receive(message);
          endpoint.send(message);
        }
      } catch (...) {
        status = 1;
      }
      std::_Exit(status);
    }
    std::string error;
    long mismatched = 0;
    try {
      auto endpoint = transport->client();
      transport.reset();
      std::vector<std::byte> request(size);
      std::vector<std::byte> reply(size);
      for (int i = 0; i < 100; ++i) {
        fill_pattern(request, 0, static_cast<std::uint64_t>(i));
        endpoint.send(request);
        endpoint.receive(reply);
        if (reply != request) ++mismatched;
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_EQ(error, "");
    EXPECT_EQ(mismatched, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "server child status " << status;
  }
}

// Shared by every transport here: setup failures are clear errors, never hangs.
TEST(TcpLoopbackSetup, ServerWithoutAClientFailsWithinTwoSeconds) {
  testing::Watchdog watchdog(30s);
  const std::size_t fds_before = testing::open_fd_count();
  {
    Tcp transport(TransportSetup{64});
    try {
      (void)transport.server();
      ADD_FAILURE() << "server() returned without a client";
    } catch (const std::runtime_error& error) {
      EXPECT_NE(std::string(error.what()).find("no client connected within 2 s"), std::string::npos) << error.what();
    }
  }
  EXPECT_EQ(testing::open_fd_count(), fds_before);
}

TEST(TcpLoopbackSetup, ConnectToAClosedPortNamesTheAddress) {
  std::uint16_t port = 0;
  {
    tcp::LoopbackListener listener;
    port = listener.port();
  }
  try {
    (void)tcp::connect_loopback(port);
    ADD_FAILURE() << "connected to a closed port";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), ECONNREFUSED);
    EXPECT_NE(std::string(error.what()).find("connect to 127.0.0.1:"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace ipcbench
