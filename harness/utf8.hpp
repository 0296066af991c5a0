// utf8_prefix: the longest start of a text that fits a byte budget and ends where a character ends.
#pragma once

#include <cstddef>
#include <string_view>

namespace ipcbench {

// A reason or a peer's string cut at a byte count could end in half a character, which a
// CSV reader or a JSON writer then refuses.
constexpr std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) noexcept {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;  // a continuation byte
  return text.substr(0, end);
}

static_assert(utf8_prefix("ab\xc3\xa9", 3) == "ab");
static_assert(utf8_prefix("ab\xc3\xa9", 4) == "ab\xc3\xa9");

}  // namespace ipcbench
