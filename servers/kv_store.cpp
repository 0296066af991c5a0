// KvStore's writes and its size.
#include "servers/kv_store.hpp"

namespace ipcbench {

void KvStore::set(std::string_view key, std::span<const std::byte> value) {
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  shard.map.insert_or_assign(std::string(key), std::string(reinterpret_cast<const char*>(value.data()), value.size()));
}

bool KvStore::erase(std::string_view key) {
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  return shard.map.erase(std::string(key)) > 0;
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
