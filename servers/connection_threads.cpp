// ConnectionThreads: starting small-stack threads, joining them as they finish, shutting their sockets at a stop.
#include "servers/connection_threads.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace ipcbench {

ConnectionThreads::ConnectionThreads(ServerCounters& counters)
    : counters_(counters), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!wake_) throw std::system_error(errno, std::generic_category(), "eventfd");
  if (const int rc = ::pthread_attr_init(&attributes_); rc != 0)
    throw std::system_error(rc, std::generic_category(), "pthread_attr_init");
  if (const int rc = ::pthread_attr_setstacksize(&attributes_, kStackBytes); rc != 0) {
    ::pthread_attr_destroy(&attributes_);
    throw std::system_error(rc, std::generic_category(), "pthread_attr_setstacksize");
  }
}

ConnectionThreads::~ConnectionThreads() {
  stop_reading();
  shut_all();
  join_all(std::chrono::steady_clock::time_point::max());
  ::pthread_attr_destroy(&attributes_);
}

bool ConnectionThreads::start(int fd, void* (*body)(void*), void* argument) {
  {
    const std::lock_guard lock(mutex_);
    live_.insert(fd);
  }
  pthread_t thread;
  if (::pthread_create(&thread, &attributes_, body, argument) != 0) {
    const std::lock_guard lock(mutex_);
    live_.erase(fd);
    return false;
  }
  ++running_;
  return true;
}

void ConnectionThreads::finished(sys::Fd fd, std::exception_ptr error) noexcept {
  {
    const std::lock_guard lock(mutex_);
    live_.erase(fd.get());
    fd.reset();
    finished_.push_back({::pthread_self(), std::move(error)});
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_.get(), &one, sizeof one);
}

void ConnectionThreads::reap() {
  std::uint64_t count;
  [[maybe_unused]] const ssize_t n = ::read(wake_.get(), &count, sizeof count);
  std::vector<Finished> ended;
  {
    const std::lock_guard lock(mutex_);
    ended.swap(finished_);
  }
  for (Finished& f : ended) {
    ::pthread_join(f.thread, nullptr);
    --running_;
    counters_.on_close();
    if (f.error && !error_) error_ = std::move(f.error);
  }
}

void ConnectionThreads::stop_reading() {
  stopping_.store(true, std::memory_order_relaxed);
  const std::lock_guard lock(mutex_);
  for (const int fd : live_) ::shutdown(fd, SHUT_RD);
}

void ConnectionThreads::shut_all() {
  const std::lock_guard lock(mutex_);
  for (const int fd : live_) ::shutdown(fd, SHUT_RDWR);
}

bool ConnectionThreads::join_all(std::chrono::steady_clock::time_point deadline) {
  using std::chrono::steady_clock;
  while (running_ > 0) {
    int timeout_ms = -1;
    if (deadline != steady_clock::time_point::max()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now());
      if (left.count() <= 0) return false;
      timeout_ms = static_cast<int>(left.count());
    }
    pollfd wake{wake_.get(), POLLIN, 0};
    if (::poll(&wake, 1, timeout_ms) > 0) reap();
  }
  return true;
}

}  // namespace ipcbench
