// libFuzzer target: arbitrary bytes through everything host mode reads from a peer. No input may crash, hang or
// allocate past the decoder's fixed buffer; whatever a body parser accepts must survive its own encode and parse.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>

#include "harness/wire.hpp"

namespace {

using namespace ipcbench;

template <class T>
void round_trips(const T& value, T (*parse)(std::string_view)) {
  const std::string again = wire::encode(value);
  if (wire::encode(parse(again)) != again) __builtin_trap();
}

void parse_body(const wire::ControlFrame& frame) {
  try {
    switch (frame.type) {
      case wire::FrameType::hello: round_trips(wire::parse_hello(frame.body), &wire::parse_hello); break;
      case wire::FrameType::welcome: round_trips(wire::parse_welcome(frame.body), &wire::parse_welcome); break;
      case wire::FrameType::refuse: round_trips(wire::parse_refuse(frame.body), &wire::parse_refuse); break;
      case wire::FrameType::result: round_trips(wire::parse_result(frame.body), &wire::parse_result); break;
      default: __builtin_trap();  // the decoder hands out control frames only
    }
  } catch (const ProtocolError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first byte sets how the stream is cut into reads, as the network would.
  const std::size_t chunk = size == 0 ? 1 : data[0] % 64 + 1;
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  wire::FrameDecoder decoder;
  try {
    for (std::size_t at = 0; at < size;) {
      const std::span<std::byte> space = decoder.space();
      const std::size_t n = std::min({chunk, size - at, space.size()});
      std::memcpy(space.data(), bytes + at, n);
      decoder.commit(n);
      at += n;
      while (auto frame = decoder.next()) parse_body(*frame);
    }
  } catch (const ProtocolError&) {
  }
  // The same bytes as a data frame, as the server's loop sees a message of the agreed size.
  if (size >= wire::kHeaderBytes) {
    const std::span<const std::byte> frame(bytes, size);
    if (!wire::is_data_frame(frame, wire::FrameType::request) && !wire::is_data_frame(frame, wire::FrameType::stop)) {
      try {
        wire::throw_bad_data_frame(frame, "request or stop");
      } catch (const ProtocolError&) {
      }
    }
  }
  return 0;
}
