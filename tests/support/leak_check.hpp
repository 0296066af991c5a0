// What a test checks was left behind: descriptors, child processes, /dev/shm names.
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <string>

namespace ipcbench::testing {

inline std::set<std::string> list_dir(const std::string& path) {
  std::set<std::string> names;
  if (DIR* dir = ::opendir(path.c_str())) {
    while (const dirent* entry = ::readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.insert(name);
    }
    ::closedir(dir);
  }
  return names;
}

// Children of every thread of this process, from /proc/self/task/*/children.
inline std::set<std::string> child_pids() {
  std::set<std::string> pids;
  for (const std::string& task : list_dir("/proc/self/task")) {
    std::ifstream in("/proc/self/task/" + task + "/children");
    for (std::string pid; in >> pid;) pids.insert(pid);
  }
  return pids;
}

// The open descriptors: /proc/self/fd on Linux, /dev/fd on macOS and FreeBSD (there complete
// only with fdescfs mounted). Children are found through /proc only: elsewhere none are seen.
inline std::set<std::string> open_fds() {
  const std::set<std::string> proc = list_dir("/proc/self/fd");
  return !proc.empty() ? proc : list_dir("/dev/fd");
}

struct ResourceSnapshot {
  std::set<std::string> fds = open_fds();
  std::set<std::string> children = child_pids();
  std::set<std::string> shm = list_dir("/dev/shm");
  std::set<std::string> mqueues = list_dir("/dev/mqueue");

  bool operator==(const ResourceSnapshot&) const = default;
};

}  // namespace ipcbench::testing
