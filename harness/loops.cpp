// The loops' cold paths: building the error that ends a repetition.
#include "harness/loops.hpp"

namespace ipcbench {

void throw_bad_reply(std::uint64_t expected_sequence, std::uint64_t header, std::size_t payload_bytes) {
  const Header h(payload_bytes);
  throw ProtocolError(fmt::format("round trip {}: reply header {:#x} is not the reply to sequence {:#x}",
                                  expected_sequence, header, expected_sequence & h.mask()));
}

void throw_corrupt_payload(std::string_view side, std::uint64_t sequence, std::size_t index) {
  throw ProtocolError(fmt::format("{} found payload byte {} corrupt in the message with sequence {:#x}", side, index, sequence));
}

}  // namespace ipcbench
