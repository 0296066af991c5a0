// The `reactors` server: the kernel spreads connections over one listener per loop; each loop pins to its CPU.
#include "servers/reactors.hpp"

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <latch>
#include <optional>
#include <thread>
#include <vector>

#include "harness/sys/affinity.hpp"
#include "harness/sys/child.hpp"
#include "servers/epoll_loop.hpp"

namespace ipcbench {

template <Protocol P>
void ReactorsServer::serve(const ServeContext& context, P& protocol) {
  const std::vector<int>& cpus = context.settings().cpus;
  const std::size_t loops = cpus.empty() ? 1 : cpus.size();
  // Every listener exists before any loop runs, so no connection lands on a port group
  // that is still being built.
  std::vector<sys::Fd> own_listeners;
  for (std::size_t i = 1; i < loops; ++i) own_listeners.push_back(context.open_listener());

  std::vector<std::exception_ptr> errors(loops);
  std::latch built(static_cast<std::ptrdiff_t>(loops));
  // One loop's failure is the server's: every loop stops, and serve() rethrows it.
  const auto stop_all = [&context] {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(context.stop_fd(), &one, sizeof one);
  };
  const auto loop = [&](std::size_t i) {
    std::optional<EpollLoop<P>> epoll;
    try {
      if (!cpus.empty()) sys::pin_current_thread(cpus[i]);
      epoll.emplace(context, i == 0 ? context.listener() : own_listeners[i - 1].get(), protocol);
    } catch (...) {
      errors[i] = std::current_exception();
    }
    built.count_down();
    if (i == 0) {
      built.wait();
      // A loop that could not be built stops the others: the server is not what was asked for.
      if (std::any_of(errors.begin(), errors.end(), [](const auto& e) { return e != nullptr; })) {
        stop_all();
        return;
      }
      context.ready();
    }
    if (!epoll) return;
    try {
      epoll->run();
    } catch (...) {
      errors[i] = std::current_exception();
      stop_all();  // its listener would keep taking connections no loop accepts
    }
  };
  std::vector<std::jthread> threads;
  for (std::size_t i = 1; i < loops; ++i)
    threads.emplace_back([&, i] {
      sys::name_current_thread("ipcb-reactor");
      loop(i);
    });
  loop(0);
  threads.clear();
  for (const std::exception_ptr& error : errors)
    if (error) std::rethrow_exception(error);
}

template void ReactorsServer::serve(const ServeContext&, EchoProtocol&);
template void ReactorsServer::serve(const ServeContext&, KvProtocol&);
template void ReactorsServer::serve(const ServeContext&, HttpProtocol&);

}  // namespace ipcbench
