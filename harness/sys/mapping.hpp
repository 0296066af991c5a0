// Mapping and Shared<T>: anonymous shared memory (Boost.Interprocess) that forked children inherit.
#pragma once

#include <boost/interprocess/anonymous_shared_memory.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <cstddef>
#include <new>
#include <utility>

namespace ipcbench::sys {

// Anonymous on purpose: there is no name that could leak into /dev/shm, and every process
// forked after construction sees the same pages.
class Mapping {
 public:
  explicit Mapping(std::size_t bytes) : region_(boost::interprocess::anonymous_shared_memory(bytes)) {}
  [[nodiscard]] void* data() const noexcept { return region_.get_address(); }
  [[nodiscard]] std::size_t size() const noexcept { return region_.get_size(); }

 private:
  boost::interprocess::mapped_region region_;
};

// One T constructed in a Mapping. ~T is never run: each process that holds a copy of the
// mapping unmaps it when done, and no process can know it is the last, so a T placed here
// must own nothing outside its own bytes (a process-shared semaphore or an atomic word
// owns nothing in the kernel while no one waits on it).
template <class T>
class Shared {
 public:
  template <class... Args>
  explicit Shared(Args&&... args) : mapping_(sizeof(T)), object_(new (mapping_.data()) T(std::forward<Args>(args)...)) {
    static_assert(alignof(T) <= 4096, "a mapping is page aligned");
  }
  Shared(Shared&& other) noexcept : mapping_(std::move(other.mapping_)), object_(std::exchange(other.object_, nullptr)) {}
  Shared& operator=(Shared&&) = delete;
  ~Shared() = default;

  [[nodiscard]] T& operator*() const noexcept { return *object_; }
  [[nodiscard]] T* operator->() const noexcept { return object_; }
  [[nodiscard]] T* get() const noexcept { return object_; }

 private:
  Mapping mapping_;
  T* object_;
};

}  // namespace ipcbench::sys
