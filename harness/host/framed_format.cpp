// FramedFormat's cold path: what was wrong with a reply.
#include "harness/host/framed_format.hpp"

#include <fmt/format.h>

#include "harness/sys/io.hpp"

namespace ipcbench {

void FramedFormat::throw_bad_reply(std::span<const std::byte> message, std::uint64_t sequence) const {
  if (wire::is_data_frame(message, wire::FrameType::reply))
    throw ProtocolError(fmt::format("round trip {}: the reply is to round trip {}", sequence, wire::sequence_of(message)));
  wire::throw_bad_data_frame(message, "reply");
}

}  // namespace ipcbench
