// posix-mq's own promises: no queue name outlives the set-up, the queues are the owner's alone,
// and the machine's limit on a message is the one a skip names.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <array>
#include <string>
#include <system_error>

#include "harness/suite.hpp"
#include "harness/sys/io.hpp"
#include "tests/support/leak_check.hpp"
#include "transports/posix_mq.hpp"
#include "transports/registry.hpp"

namespace ipcbench {
namespace {

constexpr long kMqueueMagic = 0x19800202;  // MQUEUE_MAGIC in linux/magic.h

bool mqueue_mounted() {
  struct statfs fs {};
  return ::statfs("/dev/mqueue", &fs) == 0 && fs.f_type == kMqueueMagic;
}

TEST(PosixMq, NoQueueNameOutlivesTheSetUp) {
  if (!mqueue_mounted()) GTEST_SKIP() << "/dev/mqueue is not mounted: queue names cannot be listed";
  const auto before = testing::list_dir("/dev/mqueue");
  PosixMq queues(TransportSetup{64});
  EXPECT_EQ(testing::list_dir("/dev/mqueue"), before);
  auto client = queues.client();
  auto server = queues.server();
  const std::array<std::byte, 64> request{std::byte{7}};
  std::array<std::byte, 64> received{};
  client.send(request);
  server.receive(received);
  EXPECT_EQ(received, request);
}

TEST(PosixMq, QueuesAreTheOwnersAlone) {
  posix_mq::Queues queues(64);
  for (const sys::Fd* queue : {&queues.to_server_read, &queues.to_server_write, &queues.to_client_read, &queues.to_client_write}) {
    struct stat status {};
    ASSERT_EQ(::fstat(queue->get(), &status), 0);
    EXPECT_EQ(status.st_mode & 0777, 0600u);
  }
}

TEST(PosixMq, AClosedSideIsAnEmptyMessageItsPeerSeesAsPeerClosed) {
  PosixMq queues(TransportSetup{64});
  auto server = queues.server();
  { auto client = queues.client(); }
  std::array<std::byte, 64> message{};
  EXPECT_THROW(server.receive(message), PeerClosed);
}

TEST(PosixMq, ASizeAboveTheSysctlIsASkipThatNamesIt) {
  const MachineLimit limit = posix_mq::message_limit();
  ASSERT_GT(limit.max_payload_bytes, 0u) << "/proc/sys/fs/mqueue/msgsize_max is unreadable";
  const RegistryEntry* entry = find_transport(registry(), "posix-mq");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(max_payload_bytes(*entry, Mode::process), limit.max_payload_bytes);
  const CellSpec too_large{"posix-mq", Mode::process, Placement::same, limit.max_payload_bytes + 1, {}};
  const std::string reason = skip_reason(*entry, too_large);
  EXPECT_NE(reason.find(limit.set_by), std::string::npos) << reason;
  EXPECT_EQ(skip_reason(*entry, CellSpec{"posix-mq", Mode::process, Placement::same, limit.max_payload_bytes, {}}), "");
}

// Restores the soft limit it lowered, whatever the test does.
class LoweredMessageQueueLimit {
 public:
  explicit LoweredMessageQueueLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_MSGQUEUE, &saved_);
    rlimit lowered = saved_;
    lowered.rlim_cur = bytes;
    ok_ = ::setrlimit(RLIMIT_MSGQUEUE, &lowered) == 0;
  }
  ~LoweredMessageQueueLimit() { ::setrlimit(RLIMIT_MSGQUEUE, &saved_); }
  [[nodiscard]] bool ok() const noexcept { return ok_; }

 private:
  rlimit saved_{};
  bool ok_ = false;
};

TEST(PosixMq, ALowRlimitIsTheLimitNamedAndQueuesOfThatSizeOpen) {
  const LoweredMessageQueueLimit lowered(16 * 1024);
  ASSERT_TRUE(lowered.ok());
  const MachineLimit limit = posix_mq::message_limit();
  EXPECT_EQ(limit.set_by, "RLIMIT_MSGQUEUE (ulimit -q)");
  EXPECT_LT(limit.max_payload_bytes, 4096u);
  EXPECT_NO_THROW(PosixMq(TransportSetup{limit.max_payload_bytes}));
  try {
    PosixMq too_large(TransportSetup{8192});
    ADD_FAILURE() << "8 KiB queues fit a 16 KiB RLIMIT_MSGQUEUE";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("RLIMIT_MSGQUEUE"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ipcbench
