// Whole-message blocking I/O on a descriptor: partial transfers and EINTR handled, EOF is PeerClosed.
#pragma once

#include <cstddef>
#include <span>
#include <stdexcept>

namespace ipcbench {

// The peer closed its end or died; the cell fails with this reason.
class PeerClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The peer sent something the protocol forbids (wrong sequence, corrupt payload).
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace sys {

// Loops until every byte has moved; throws PeerClosed on EOF/EPIPE/ECONNRESET and
// std::system_error on any other error. On a non-blocking descriptor they busy-poll: a call
// that would block is tried again at once (--wait busy-poll).
void read_exact(int fd, std::span<std::byte> buffer);
void write_exact(int fd, std::span<const std::byte> buffer);

}  // namespace sys
}  // namespace ipcbench
