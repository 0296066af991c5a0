// A side killed or stopped in the middle of a process-mode cell: the cell fails with a reason
// that names what happened, long before its passes would have ended, and nothing leaks.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "harness/clock.hpp"
#include "harness/repetition.hpp"
#include "harness/sys/affinity.hpp"
#include "tests/support/leak_check.hpp"
#include "tests/support/placements.hpp"
#include "tests/support/transport_types.hpp"

namespace ipcbench {
namespace {

using namespace std::chrono_literals;

const Clock& test_clock() {
  static const Clock clock = Clock::calibrate(10);
  return clock;
}

std::string comm_of(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

// The pid of this process's child that named itself `name`, once it exists.
pid_t wait_for_child(const std::string& name) {
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < give_up) {
    for (const std::string& pid : testing::child_pids())
      if (comm_of(pid) == name) return std::stoi(pid);
    std::this_thread::sleep_for(5ms);
  }
  return -1;
}

struct Fault {
  const char* victim;  // "ipcb-server" or "ipcb-client"
  int signal;
  const char* expected;  // in the reason
};

template <class T>
class PeerFault : public ::testing::Test {};
TYPED_TEST_SUITE(PeerFault, testing::ProcessTransportTypes, testing::TransportName);

TYPED_TEST(PeerFault, KilledOrStoppedSideFailsTheCellPromptly) {
  if (!std::filesystem::is_directory("/proc/self/task")) GTEST_SKIP() << "the sides are found through /proc, which this system lacks";
  {
    const std::vector<Fault> faults{{"ipcb-server", SIGKILL, "SIGKILL"},
                                    {"ipcb-client", SIGKILL, "SIGKILL"},
                                    {"ipcb-server", SIGSTOP, "stopped"}};
    for (const Fault& fault : faults) {
      SCOPED_TRACE(fmt::format("{} {} {}", TypeParam::kInfo.name, fault.victim, fault.expected));
      const testing::ResourceSnapshot before;
      RunSettings settings;
      settings.plan.duration = 30s;  // the cell must end because of the fault, not the clock
      settings.peer_timeout = 500ms;
      const auto cpus = sys::allowed_cpus();
      settings.cpus = {cpus.front(), cpus.size() > 1 ? cpus[1] : cpus.front()};
      settings.clock = &test_clock();
      const CellSpec cell{std::string(TypeParam::kInfo.name), Mode::process,
                          testing::spread_placement(cpus.size() > 1), 64, {}};

      const auto start = std::chrono::steady_clock::now();
      auto result = std::async(std::launch::async, [&] { return run_repetition<TypeParam>(cell, settings); });
      const pid_t victim = wait_for_child(fault.victim);
      ASSERT_GT(victim, 0) << "the side never started";
      std::this_thread::sleep_for(300ms);  // into the timed passes
      ::kill(victim, fault.signal);
      const RepResult r = result.get();
      const auto elapsed = std::chrono::steady_clock::now() - start;

      EXPECT_EQ(r.status, Status::failed);
      EXPECT_NE(r.reason.find(fault.expected), std::string::npos) << r.reason;
      EXPECT_LT(elapsed, 15s) << "the fault was not noticed; the cell ran to its end";
      const testing::ResourceSnapshot after;
      EXPECT_EQ(before.fds, after.fds);
      EXPECT_EQ(before.children, after.children);
      EXPECT_EQ(before.shm, after.shm);
    }
  }
}

}  // namespace
}  // namespace ipcbench
