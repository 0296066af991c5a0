// Parsing of the command line's sizes, durations and lists; every error names the value and the valid forms.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ipcbench {

// A bad command-line value; what() is one line meant for the user.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "64", "1K", "64K", "1M", "4KiB", "1B": binary multiples; at least 1, at most 1 GiB.
std::size_t parse_size(std::string_view text);
// "500ms", "2s", "1.5s", "250us", "100ns", "1m": a positive duration, at most 1 hour.
std::chrono::nanoseconds parse_duration(std::string_view text);
// A non-negative integer that fits in uint64 (no sign, no suffix), named in errors.
std::uint64_t parse_count(std::string_view text, std::string_view what);
// Splits "a,b,c" and rejects empty items ("a,,b", trailing comma).
std::vector<std::string> split_list(std::string_view text, std::string_view what);

// "64" -> "64 B", 1024 -> "1 KiB", 65536 -> "64 KiB", 1000 -> "1000 B".
std::string format_size(std::size_t bytes);
// Human figures for the table: 9612 -> "9.6K", 3400000 -> "3.4M", 125 -> "125".
std::string format_rate(double per_second);
// 9300 -> "9.3 us", 104000 -> "104 us", 280 -> "280 ns", 8.2e6 -> "8.2 ms".
std::string format_duration_ns(double ns);

}  // namespace ipcbench
