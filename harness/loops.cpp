// The loops' cold paths: building the error that ends a repetition.
#include "harness/loops.hpp"

#include <fmt/format.h>

#include "harness/sys/io.hpp"

namespace ipcbench {

void throw_bad_reply(std::uint64_t expected_sequence, std::uint64_t header, std::size_t payload_bytes) {
  const Header h(payload_bytes);
  throw ProtocolError(fmt::format("round trip {}: reply header {:#x} is not the reply to sequence {:#x}",
                                  expected_sequence, header, expected_sequence & h.mask()));
}

void throw_corrupt_payload(std::string_view side, std::uint64_t sequence, std::size_t index) {
  throw ProtocolError(fmt::format("{} found payload byte {} corrupt in the message with sequence {:#x}", side, index, sequence));
}

void throw_no_reply(int sends, std::chrono::milliseconds apart) {
  throw PeerClosed(fmt::format("no reply from the peer after {} sends, {} ms apart", sends, apart.count()));
}

}  // namespace ipcbench
