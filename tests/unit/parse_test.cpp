// Command-line sizes, durations, counts and lists, their exact error messages, and table formatting.
#include "harness/parse.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ipcbench {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kGiB = std::size_t{1} << 30;

// The message of the UsageError that `parse` throws, or a note that it threw none.
template <typename Parse>
std::string usage_error_of(Parse parse) {
  try {
    parse();
  } catch (const UsageError& error) {
    return error.what();
  }
  return "(no UsageError)";
}

std::string size_error(const std::string& text) {
  return usage_error_of([&] { return parse_size(text); });
}

std::string duration_error(const std::string& text) {
  return usage_error_of([&] { return parse_duration(text); });
}

TEST(ParseSize, AcceptsNumbersAndBinarySuffixes) {
  EXPECT_EQ(parse_size("1"), 1u);
  EXPECT_EQ(parse_size("64"), 64u);
  EXPECT_EQ(parse_size("64B"), 64u);
  EXPECT_EQ(parse_size("1K"), 1024u);
  EXPECT_EQ(parse_size("64k"), 65536u);
  EXPECT_EQ(parse_size("4KiB"), 4096u);
  EXPECT_EQ(parse_size("4kib"), 4096u);
  EXPECT_EQ(parse_size("1M"), 1u << 20);
  EXPECT_EQ(parse_size("2MiB"), 2u << 20);
  EXPECT_EQ(parse_size("1G"), kGiB);
  EXPECT_EQ(parse_size("1GiB"), kGiB);
  EXPECT_EQ(parse_size("1024M"), kGiB);
  EXPECT_EQ(parse_size("1073741824"), kGiB);
  EXPECT_EQ(parse_size("007"), 7u);
}

TEST(ParseSize, MalformedNamesTheValueAndTheForms) {
  const std::string forms =
      "expected a positive number with an optional suffix B, K, M, G (KiB, MiB, GiB), e.g. 64, 1K, 64K";
  EXPECT_EQ(size_error("12Q"), "invalid size '12Q': " + forms);
  for (const char* bad : {"", "K", "-1", "+1", "1.5K", "0.5", "1KB", "1 K", " 1", "1K ", "0x10", "1e3", "abc", "1KiBB"}) {
    EXPECT_EQ(size_error(bad), "invalid size '" + std::string(bad) + "': " + forms);
  }
}

TEST(ParseSize, OutOfRangeNamesTheRange) {
  const std::string range = "expected a size from 1 B to 1 GiB, e.g. 64, 1K, 64K";
  for (const char* bad : {"0", "0K", "000", "2G", "1025M", "1073741825", "99999999999999999999", "17179869184G"}) {
    EXPECT_EQ(size_error(bad), "invalid size '" + std::string(bad) + "': " + range);
  }
}

TEST(ParseDuration, AcceptsEveryUnitAndDecimals) {
  EXPECT_EQ(parse_duration("100ns"), 100ns);
  EXPECT_EQ(parse_duration("250us"), 250us);
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("2s"), 2s);
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_duration("0.1s"), 100ms);
  EXPECT_EQ(parse_duration("1m"), 60s);
  EXPECT_EQ(parse_duration("1.5m"), 90s);
  EXPECT_EQ(parse_duration("60m"), 1h);
  EXPECT_EQ(parse_duration("3600s"), 1h);
  EXPECT_EQ(parse_duration("1ns"), 1ns);
}

TEST(ParseDuration, UnitIsRequired) {
  EXPECT_EQ(duration_error("2"), "invalid duration '2': a unit is needed: ns, us, ms, s or m, e.g. 500ms, 2s, 1.5s");
  EXPECT_EQ(duration_error("1.5"), "invalid duration '1.5': a unit is needed: ns, us, ms, s or m, e.g. 500ms, 2s, 1.5s");
}

TEST(ParseDuration, UnknownUnitIsNamed) {
  EXPECT_EQ(duration_error("2h"), "invalid duration '2h': unknown unit 'h', expected ns, us, ms, s or m, e.g. 500ms, 2s, 1.5s");
  EXPECT_EQ(duration_error("2 s"), "invalid duration '2 s': unknown unit ' s', expected ns, us, ms, s or m, e.g. 500ms, 2s, 1.5s");
  EXPECT_EQ(duration_error("1e3s"), "invalid duration '1e3s': unknown unit 'e3s', expected ns, us, ms, s or m, e.g. 500ms, 2s, 1.5s");
  EXPECT_EQ(duration_error("5MS"), "invalid duration '5MS': unknown unit 'MS', expected ns, us, ms, s or m, e.g. 500ms, 2s, 1.5s");
}

TEST(ParseDuration, MalformedNumberNamesTheForms) {
  for (const char* bad : {"", "s", "ms", "-1s", "+1s", ".5s", "1.s", "1..5s", "abc", "infs", "nans"}) {
    EXPECT_EQ(duration_error(bad),
              "invalid duration '" + std::string(bad) + "': expected a number and a unit ns, us, ms, s or m, e.g. 500ms, 2s, 1.5s");
  }
}

TEST(ParseDuration, OutOfRangeNamesTheRange) {
  for (const char* bad : {"0s", "0ns", "0.0ms", "0.1ns", "61m", "3600.5s", "99999999999999999999999999s"}) {
    EXPECT_EQ(duration_error(bad), "invalid duration '" + std::string(bad) +
                                       "': expected a positive duration of at most 1 hour (60m), e.g. 500ms, 2s, 1.5s");
  }
}

TEST(ParseCount, AcceptsDigits) {
  EXPECT_EQ(parse_count("0", "--warmup"), 0u);
  EXPECT_EQ(parse_count("100000", "--round-trips"), 100'000u);
  EXPECT_EQ(parse_count("18446744073709551615", "--round-trips"), ~std::uint64_t{0});
}

TEST(ParseCount, ErrorsNameTheOptionAndValue) {
  for (const char* bad : {"", "-1", "+1", "1K", "1.5", " 1", "1e6", "x"}) {
    EXPECT_EQ(usage_error_of([&] { return parse_count(bad, "--round-trips"); }),
              "invalid --round-trips '" + std::string(bad) + "': expected a whole number (digits only), e.g. 100000");
  }
  EXPECT_EQ(usage_error_of([] { return parse_count("18446744073709551616", "--repetitions"); }),
            "invalid --repetitions '18446744073709551616': too large, expected at most 18446744073709551615");
}

TEST(SplitList, SplitsAndTrimsItems) {
  EXPECT_EQ(split_list("epoll", "-t"), std::vector<std::string>{"epoll"});
  EXPECT_EQ(split_list("thread,process", "-m"), (std::vector<std::string>{"thread", "process"}));
  EXPECT_EQ(split_list("a, b ,c", "-t"), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(SplitList, RejectsEmptyItems) {
  for (const char* bad : {"", ",", "a,,b", "a,", ",a", "a, ,b"}) {
    EXPECT_EQ(usage_error_of([&] { return split_list(bad, "-t"); }),
              "invalid -t '" + std::string(bad) + "': expected a comma-separated list with no empty items, e.g. a,b");
  }
}

TEST(FormatSize, UsesTheLargestExactBinaryUnit) {
  EXPECT_EQ(format_size(0), "0 B");
  EXPECT_EQ(format_size(1), "1 B");
  EXPECT_EQ(format_size(64), "64 B");
  EXPECT_EQ(format_size(1000), "1000 B");
  EXPECT_EQ(format_size(1024), "1 KiB");
  EXPECT_EQ(format_size(1536), "1536 B");
  EXPECT_EQ(format_size(65536), "64 KiB");
  EXPECT_EQ(format_size(1u << 20), "1 MiB");
  EXPECT_EQ(format_size(3u << 20), "3 MiB");
  EXPECT_EQ(format_size(kGiB), "1 GiB");
}

TEST(FormatRate, TwoOrThreeSignificantFigures) {
  EXPECT_EQ(format_rate(9612), "9.6K");
  EXPECT_EQ(format_rate(8200), "8.2K");
  EXPECT_EQ(format_rate(100'000), "100K");
  EXPECT_EQ(format_rate(11e6), "11M");
  EXPECT_EQ(format_rate(165e6), "165M");
  EXPECT_EQ(format_rate(3.4e6), "3.4M");
  EXPECT_EQ(format_rate(5.2e6), "5.2M");
  EXPECT_EQ(format_rate(125), "125");
  EXPECT_EQ(format_rate(999), "999");
  EXPECT_EQ(format_rate(999.7), "1.0K");
  EXPECT_EQ(format_rate(9.96e3), "10K");
  EXPECT_EQ(format_rate(1e6), "1.0M");
  EXPECT_EQ(format_rate(2.5e9), "2.5G");
  EXPECT_EQ(format_rate(7.5), "7.5");
  EXPECT_EQ(format_rate(0), "0");
}

TEST(FormatDuration, TwoOrThreeSignificantFiguresWithUnit) {
  EXPECT_EQ(format_duration_ns(280), "280 ns");
  EXPECT_EQ(format_duration_ns(6), "6.0 ns");
  EXPECT_EQ(format_duration_ns(9300), "9.3 us");
  EXPECT_EQ(format_duration_ns(19'000), "19 us");
  EXPECT_EQ(format_duration_ns(104'000), "104 us");
  EXPECT_EQ(format_duration_ns(478'000), "478 us");
  EXPECT_EQ(format_duration_ns(8.2e6), "8.2 ms");
  EXPECT_EQ(format_duration_ns(1.5e9), "1.5 s");
  EXPECT_EQ(format_duration_ns(999'600), "1.0 ms");
  EXPECT_EQ(format_duration_ns(3600e9), "3600 s");
  EXPECT_EQ(format_duration_ns(0), "0 ns");
}

}  // namespace
}  // namespace ipcbench
