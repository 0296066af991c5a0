// KvStore: the kv workload's thread-safe in-memory map, sharded so that threads rarely meet on a lock.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ipcbench {

class KvStore {
 public:
  // Copies the value of `key` into what `sink(size)` returns; false when absent.
  template <class Sink>
  bool get(std::string_view key, Sink&& sink) {
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    const auto found = shard.map.find(std::string(key));
    if (found == shard.map.end()) return false;
    const std::string& value = found->second;
    std::span<std::byte> out = sink(value.size());
    if (!value.empty()) std::memcpy(out.data(), value.data(), value.size());
    return true;
  }
  // False, and nothing stored, when the value would take the store past kMaxBytes: no client
  // can grow the server without bound, one SET of a new key at a time.
  [[nodiscard]] bool set(std::string_view key, std::span<const std::byte> value);
  bool erase(std::string_view key);
  [[nodiscard]] std::size_t size();

 private:
  // Keys the generator makes are 12 bytes, short enough for std::string's inline buffer, so
  // a lookup allocates nothing.
  struct alignas(64) Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::string> map;
  };
  static constexpr std::size_t kShards = 64;
  static constexpr std::size_t kMaxBytes = std::size_t{256} << 20;  // keys and values, all shards
  std::atomic<std::size_t> bytes_{0};
  Shard& shard_of(std::string_view key) noexcept { return shards_[std::hash<std::string_view>{}(key) % kShards]; }
  std::array<Shard, kShards> shards_;
};

}  // namespace ipcbench
