// The http workload: a small, strict HTTP/1.1 request parser and the protocol every architecture serves with it (a static response).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "servers/byte_queue.hpp"
#include "servers/protocols.hpp"

namespace ipcbench {
namespace http {

// A request head is at most this long; one that has not ended by then is refused (431).
inline constexpr std::size_t kMaxHeadBytes = 8192;
inline constexpr std::size_t kMaxTargetBytes = 2048;
inline constexpr std::size_t kMaxHeaders = 64;

enum class Verdict : std::uint8_t {
  complete,          // a whole head: `head_bytes` long
  partial,           // no end yet, and nothing wrong so far
  malformed,         // 400: not HTTP/1.x as RFC 9112 writes it (bare LF, folding, a bad token, no Host, ...)
  too_large,         // 431: no end within kMaxHeadBytes, or more than kMaxHeaders headers
  not_allowed,       // 405: a method other than GET and HEAD
  has_body,          // 400 too: a body (Content-Length other than 0, Transfer-Encoding), which GETs here never carry
  bad_version,       // 505: HTTP/2 and up on this connection
};

struct RequestHead {
  Verdict verdict = Verdict::partial;
  std::size_t head_bytes = 0;
  bool head_only = false;   // HEAD: the response's header without its body
  bool keep_alive = true;   // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive"
  std::string_view target;  // the request target, as sent
};

// The request at the front of `bytes`. Reads nothing past the head's end: pipelined requests
// behind it are the next call's.
[[nodiscard]] RequestHead parse_request_head(std::span<const std::byte> bytes) noexcept;

// The status line and reason a refusal is answered with.
[[nodiscard]] std::string_view status_of(Verdict verdict) noexcept;

// A response head as the load generator reads it: the status code and Content-Length of an
// HTTP/1.x response, once its blank line is in (a head over kMaxHeadBytes is malformed).
struct ResponseHead {
  enum class Cut : std::uint8_t { complete, partial, malformed } cut = Cut::partial;
  std::size_t head_bytes = 0;
  int status = 0;
  std::size_t content_length = 0;
  bool closes = false;  // "Connection: close": the server ends the connection after it
};
[[nodiscard]] ResponseHead parse_response_head(std::span<const std::byte> bytes) noexcept;

// The request the generator sends: a keep-alive GET of /, naming the host it connects to.
[[nodiscard]] std::string get_request(std::string_view host);

}  // namespace http

// Answers every GET (or HEAD) with the same 200 response of body_bytes, keeping the
// connection open unless the client asked to close it; refuses anything else with the status
// that says why, "Connection: close", and closes.
class HttpProtocol {
 public:
  static constexpr std::size_t kMaxRequestBytes = http::kMaxHeadBytes;
  explicit HttpProtocol(std::size_t body_bytes);

  [[nodiscard]] Frame frame(std::span<const std::byte> bytes) const noexcept;
  void answer(std::span<const std::byte> request, ByteQueue& out) const;
  void refuse(std::span<const std::byte> bytes, ByteQueue& out) const;

  // The response to a keep-alive GET, as the generator expects it from our servers.
  [[nodiscard]] std::string_view response() const noexcept { return keep_alive_; }

 private:
  std::string keep_alive_;  // header and body
  std::string closing_;     // the same with "Connection: close"
  std::size_t body_bytes_;
};

static_assert(Protocol<HttpProtocol>);

}  // namespace ipcbench
