// KvStore's writes and its size.
#include "servers/kv_store.hpp"

namespace ipcbench {

bool KvStore::set(std::string_view key, std::span<const std::byte> value) {
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  const auto found = shard.map.find(std::string(key));
  const std::size_t old_bytes = found == shard.map.end() ? 0 : key.size() + found->second.size();
  const std::size_t new_bytes = key.size() + value.size();
  if (new_bytes > old_bytes && bytes_.load(std::memory_order_relaxed) + (new_bytes - old_bytes) > kMaxBytes) return false;
  bytes_.fetch_add(new_bytes, std::memory_order_relaxed);
  bytes_.fetch_sub(old_bytes, std::memory_order_relaxed);
  shard.map.insert_or_assign(std::string(key), std::string(reinterpret_cast<const char*>(value.data()), value.size()));
  return true;
}

bool KvStore::erase(std::string_view key) {
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  const auto found = shard.map.find(std::string(key));
  if (found == shard.map.end()) return false;
  bytes_.fetch_sub(key.size() + found->second.size(), std::memory_order_relaxed);
  shard.map.erase(found);
  return true;
}

std::size_t KvStore::size() {
  std::size_t total = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.map.size();
  }
  return total;
}

}  // namespace ipcbench
