// boost-mq's own promises: Boost's shared memory is unnamed before the set-up ends, and a side's
// close reaches its peer.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>

#include "harness/sys/io.hpp"
#include "tests/support/leak_check.hpp"
#include "transports/boost_mq.hpp"

namespace ipcbench {
namespace {

TEST(BoostMq, NoSharedMemoryNameOutlivesTheSetUp) {
  const auto before = testing::list_dir("/dev/shm");
  BoostMq queues(TransportSetup{64});
  EXPECT_EQ(testing::list_dir("/dev/shm"), before);
  auto client = queues.client();
  auto server = queues.server();
  const std::array<std::byte, 64> request{std::byte{7}, std::byte{8}};
  std::array<std::byte, 64> received{};
  client.send(request);
  server.receive(received);
  EXPECT_EQ(received, request);
}

TEST(BoostMq, AClosedSideIsAnEmptyMessageItsPeerSeesAsPeerClosed) {
  BoostMq queues(TransportSetup{64});
  auto server = queues.server();
  { auto client = queues.client(); }
  std::array<std::byte, 64> message{};
  EXPECT_THROW(server.receive(message), PeerClosed);
}

TEST(BoostMq, AMovedFromEndpointAnnouncesNothing) {
  BoostMq queues(TransportSetup{64});
  auto server = queues.server();
  auto client = queues.client();
  { auto moved = std::move(client); }  // the close is the moved-to endpoint's, once
  std::array<std::byte, 64> message{};
  EXPECT_THROW(server.receive(message), PeerClosed);
  auto again = queues.client();
  const std::array<std::byte, 64> request{std::byte{9}};
  again.send(request);
  server.receive(message);  // this message, not a second close mark
  EXPECT_EQ(message, request);
}

}  // namespace
}  // namespace ipcbench
