// Watchdog: a test that hangs is a failed test; past its deadline the whole binary stops, naming the test.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

namespace ipcbench::testing {

class Watchdog {
 public:
  explicit Watchdog(std::chrono::seconds limit)
      : thread_([this, limit] {
          std::unique_lock lock(mutex_);
          if (!done_cv_.wait_for(lock, limit, [this] { return done_; })) {
            const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
            std::fprintf(stderr, "FATAL: %s.%s still running after %llds: a transport hung\n",
                         test ? test->test_suite_name() : "?", test ? test->name() : "?",
                         static_cast<long long>(limit.count()));
            std::_Exit(3);
          }
        }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_one();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;  // last: starts once the members it reads exist
};

inline std::size_t open_fd_count() {
  std::size_t count = 0;
  std::error_code error;
  const char* fd_dir = std::filesystem::is_directory("/proc/self/fd", error) ? "/proc/self/fd" : "/dev/fd";
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(fd_dir)) ++count;
  return count;
}

}  // namespace ipcbench::testing
