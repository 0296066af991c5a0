// Parsing and human formatting of sizes, durations, counts and lists for the command line and the tables.
#include "harness/parse.hpp"

#include "harness/settings.hpp"

#include <array>
#include <charconv>
#include <cstdlib>
#include <cmath>
#include <limits>
#include <optional>
#include <span>

namespace ipcbench {
namespace {

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = kKiB * 1024;
constexpr std::uint64_t kGiB = kMiB * 1024;
constexpr std::uint64_t kMaxSizeBytes = kGiB;
constexpr double kMaxDurationNs = std::chrono::duration<double, std::nano>(kMaxPassDuration).count();

constexpr std::string_view kSizeForms =
    "expected a positive number with an optional suffix B, K, M, G (KiB, MiB, GiB), e.g. 64, 1K, 64K";
constexpr std::string_view kSizeRange = "expected a size from 1 B to 1 GiB, e.g. 64, 1K, 64K";
constexpr std::string_view kDurationUnits = "ns, us, ms, s or m, e.g. 500ms, 2s, 1.5s";

struct SizeUnit {
  std::string_view name;
  std::uint64_t bytes;
};
constexpr std::array<SizeUnit, 8> kSizeUnits{{{"", 1}, {"B", 1}, {"K", kKiB}, {"KiB", kKiB},
                                              {"M", kMiB}, {"MiB", kMiB}, {"G", kGiB}, {"GiB", kGiB}}};

struct DurationUnit {
  std::string_view name;
  double ns;
};
constexpr std::array<DurationUnit, 5> kDurationUnitsNs{{{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}}};

constexpr std::array<std::string_view, 5> kRateSuffixes{"", "K", "M", "G", "T"};
constexpr std::array<std::string_view, 4> kTimeSuffixes{" ns", " us", " ms", " s"};

[[noreturn]] void fail(std::string_view what, std::string_view text, std::string_view explanation) {
  std::string message = "invalid ";
  message.append(what).append(" '").append(text).append("': ").append(explanation);
  throw UsageError(message);
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

std::size_t count_leading_digits(std::string_view text) noexcept {
  std::size_t n = 0;
  while (n < text.size() && is_digit(text[n])) ++n;
  return n;
}

// nullopt on overflow; `digits` is non-empty and all digits.
std::optional<std::uint64_t> to_uint64(std::string_view digits) noexcept {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> size_unit_bytes(std::string_view suffix) noexcept {
  for (const SizeUnit& unit : kSizeUnits) {
    if (equals_ignoring_case(suffix, unit.name)) return unit.bytes;
  }
  return std::nullopt;
}

std::optional<double> duration_unit_ns(std::string_view suffix) noexcept {
  for (const DurationUnit& unit : kDurationUnitsNs) {
    if (suffix == unit.name) return unit.ns;
  }
  return std::nullopt;
}

// Length of a leading "123" or "1.5"; 0 when the text does not start with such a number.
std::size_t decimal_length(std::string_view text) noexcept {
  const std::size_t whole = count_leading_digits(text);
  if (whole == 0) return 0;
  if (whole == text.size() || text[whole] != '.') return whole;
  const std::size_t fraction = count_leading_digits(text.substr(whole + 1));
  return fraction == 0 ? 0 : whole + 1 + fraction;
}

// `digits` is "123" or "1.5". libc++ before LLVM 20 (Apple's) has no floating-point
// from_chars; there strtod, in the C locale ipcbench never leaves, reads the same digits.
double parse_fixed(std::string_view digits) {
#if defined(__cpp_lib_to_chars)
  double number = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), number, std::chars_format::fixed);
  return number;
#else
  const std::string copy(digits);
  return std::strtod(copy.c_str(), nullptr);
#endif
}

std::string fixed(double value, int decimals) {
  std::array<char, 64> buffer{};
  const auto result =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::fixed, decimals);
  return std::string(buffer.data(), result.ptr);
}

// 2-3 significant figures with the suffix of the largest step of 1000 that keeps the value
// at least 1: 9612 -> "9.6K", 11e6 -> "11M", 165e6 -> "165M".
std::string with_figures(double value, std::span<const std::string_view> suffixes) {
  if (!std::isfinite(value)) return "n/a";
  if (value < 0) return with_figures(-value, suffixes).insert(0, 1, '-');
  if (value == 0) return std::string("0").append(suffixes[0]);
  std::size_t step = 0;
  // Rounding decides the step, so that 999.7 becomes "1.0K" and never "1000".
  while (std::round(value) >= 1000 && step + 1 < suffixes.size()) {
    value /= 1000;
    ++step;
  }
  const bool one_decimal = std::round(value * 10) < 100;
  return fixed(value, one_decimal ? 1 : 0).append(suffixes[step]);
}

std::string_view trim_spaces(std::string_view text) noexcept {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

}  // namespace

std::size_t parse_size(std::string_view text) {
  const std::size_t digits = count_leading_digits(text);
  if (digits == 0) fail("size", text, kSizeForms);
  const std::optional<std::uint64_t> unit_bytes = size_unit_bytes(text.substr(digits));
  if (!unit_bytes) fail("size", text, kSizeForms);
  const std::optional<std::uint64_t> number = to_uint64(text.substr(0, digits));
  if (!number || *number == 0 || *number > kMaxSizeBytes / *unit_bytes) fail("size", text, kSizeRange);
  return static_cast<std::size_t>(*number * *unit_bytes);
}

std::chrono::nanoseconds parse_duration(std::string_view text) {
  const std::size_t number_length = decimal_length(text);
  if (number_length == 0) fail("duration", text, std::string("expected a number and a unit ").append(kDurationUnits));
  const std::string_view suffix = text.substr(number_length);
  if (suffix.empty()) fail("duration", text, std::string("a unit is needed: ").append(kDurationUnits));
  const std::optional<double> unit_ns = duration_unit_ns(suffix);
  if (!unit_ns) {
    fail("duration", text, std::string("unknown unit '").append(suffix).append("', expected ").append(kDurationUnits));
  }
  const double number = parse_fixed(text.substr(0, number_length));
  const double ns = std::round(number * *unit_ns);
  if (!(ns >= 1 && ns <= kMaxDurationNs)) {
    fail("duration", text, "expected a positive duration of at most 1 hour (60m), e.g. 500ms, 2s, 1.5s");
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
}

std::uint64_t parse_count(std::string_view text, std::string_view what) {
  if (text.empty() || count_leading_digits(text) != text.size()) {
    fail(what, text, "expected a whole number (digits only), e.g. 100000");
  }
  const std::optional<std::uint64_t> value = to_uint64(text);
  if (!value) {
    fail(what, text,
         "too large, expected at most " + std::to_string(std::numeric_limits<std::uint64_t>::max()));
  }
  return *value;
}

std::vector<std::string> split_list(std::string_view text, std::string_view what) {
  std::vector<std::string> items;
  for (std::size_t start = 0;;) {
    const std::size_t comma = text.find(',', start);
    const std::string_view item = trim_spaces(text.substr(start, comma - start));
    if (item.empty()) fail(what, text, "expected a comma-separated list with no empty items, e.g. a,b");
    items.emplace_back(item);
    if (comma == std::string_view::npos) return items;
    start = comma + 1;
  }
}

std::string format_size(std::size_t bytes) {
  if (bytes != 0 && bytes % kGiB == 0) return std::to_string(bytes / kGiB) + " GiB";
  if (bytes != 0 && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes != 0 && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " B";
}

std::string format_rate(double per_second) { return with_figures(per_second, kRateSuffixes); }

std::string format_duration_ns(double ns) { return with_figures(ns, kTimeSuffixes); }

}  // namespace ipcbench
