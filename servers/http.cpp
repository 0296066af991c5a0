// The http workload's parser (RFC 9112's request line and header fields, strictly: CRLF only, no folding, bounded) and its responses.
#include "servers/http.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace ipcbench {
namespace http {
namespace {

// RFC 9110's tchar: what a method and a field name are made of.
constexpr bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
constexpr bool is_token(std::string_view s) noexcept { return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char); }
// A field value's characters: visible ASCII, obs-text, space and tab.
constexpr bool is_value_char(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}
constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}
std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
// Whether a comma-separated list (Connection's) names `token`.
bool lists(std::string_view list, std::string_view token) noexcept {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    if (equals_ignoring_case(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

RequestHead verdict(Verdict v) noexcept { return RequestHead{v, 0, false, false, {}}; }

// The request line: METHOD SP TARGET SP HTTP/1.x, already without its CRLF.
Verdict parse_request_line(std::string_view line, RequestHead& head, bool& http_1_0) noexcept {
  const std::size_t first = line.find(' ');
  const std::size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos) return Verdict::malformed;
  const std::string_view method = line.substr(0, first);
  const std::string_view target = line.substr(first + 1, second - first - 1);
  const std::string_view version = line.substr(second + 1);
  if (!is_token(method)) return Verdict::malformed;
  if (target.empty() || target.size() > kMaxTargetBytes ||
      !std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
    return Verdict::malformed;
  // origin-form, asterisk-form, or the absolute-form a server must also accept (RFC 9112 3.2.2)
  if (target.front() != '/' && target != "*" && !target.starts_with("http://") && !target.starts_with("https://"))
    return Verdict::malformed;
  if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' || version[5] < '0' || version[5] > '9' ||
      version[7] < '0' || version[7] > '9')
    return Verdict::malformed;
  if (version[5] != '1') return version[5] >= '2' ? Verdict::bad_version : Verdict::malformed;
  http_1_0 = version[7] == '0';
  if (method == "HEAD") head.head_only = true;
  else if (method != "GET") return Verdict::not_allowed;
  head.target = target;
  return Verdict::complete;
}

}  // namespace

RequestHead parse_request_head(std::span<const std::byte> bytes) noexcept {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), std::min(bytes.size(), kMaxHeadBytes));
  const std::size_t end = text.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    // Refuse at once what can never become a request: a bare LF, a control byte.
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if ((c == '\n' && (i == 0 || text[i - 1] != '\r')) || (c != '\r' && c != '\n' && !is_value_char(c)))
        return verdict(Verdict::malformed);
    }
    return verdict(bytes.size() >= kMaxHeadBytes ? Verdict::too_large : Verdict::partial);
  }
  RequestHead head;
  head.head_bytes = end + 4;
  std::string_view rest = text.substr(0, end + 2);  // each line with its CRLF
  bool http_1_0 = false, host = false, close = false, keep_alive = false;
  std::size_t headers = 0;
  for (bool first_line = true; !rest.empty(); first_line = false) {
    const std::size_t crlf = rest.find("\r\n");
    const std::string_view line = rest.substr(0, crlf);
    rest.remove_prefix(crlf + 2);
    if (line.find_first_of("\r\n") != std::string_view::npos) return verdict(Verdict::malformed);  // a bare CR or LF
    if (first_line) {
      if (const Verdict v = parse_request_line(line, head, http_1_0); v != Verdict::complete) return verdict(v);
      continue;
    }
    if (++headers > kMaxHeaders) return verdict(Verdict::too_large);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return verdict(Verdict::malformed);
    const std::string_view name = line.substr(0, colon);  // no space before the colon (RFC 9112 5.1)
    const std::string_view value = trim(line.substr(colon + 1));
    if (!is_token(name) || !std::all_of(value.begin(), value.end(), is_value_char)) return verdict(Verdict::malformed);
    if (equals_ignoring_case(name, "host")) {
      if (host) return verdict(Verdict::malformed);  // exactly one (RFC 9112 3.2)
      host = true;
    } else if (equals_ignoring_case(name, "content-length")) {
      if (value != "0") return verdict(value.empty() ? Verdict::malformed : Verdict::has_body);
    } else if (equals_ignoring_case(name, "transfer-encoding")) {
      return verdict(Verdict::has_body);
    } else if (equals_ignoring_case(name, "connection")) {
      close = close || lists(value, "close");
      keep_alive = keep_alive || lists(value, "keep-alive");
    }
  }
  if (!host && !http_1_0) return verdict(Verdict::malformed);
  head.keep_alive = !close && (!http_1_0 || keep_alive);
  head.verdict = Verdict::complete;
  return head;
}

std::string_view status_of(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::too_large: return "431 Request Header Fields Too Large";
    case Verdict::not_allowed: return "405 Method Not Allowed";
    case Verdict::bad_version: return "505 HTTP Version Not Supported";
    case Verdict::complete: return "200 OK";
    case Verdict::partial:
    case Verdict::malformed:
    case Verdict::has_body: break;
  }
  return "400 Bad Request";
}

ResponseHead parse_response_head(std::span<const std::byte> bytes) noexcept {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), std::min(bytes.size(), kMaxHeadBytes));
  ResponseHead head;
  const std::size_t end = text.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (bytes.size() >= kMaxHeadBytes) head.cut = ResponseHead::Cut::malformed;
    return head;
  }
  head.cut = ResponseHead::Cut::malformed;
  std::string_view rest = text.substr(0, end + 2);
  std::size_t crlf = rest.find("\r\n");
  const std::string_view status_line = rest.substr(0, crlf);
  rest.remove_prefix(crlf + 2);
  // HTTP/1.x SP 3DIGIT SP reason
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") || status_line[8] != ' ') return head;
  int status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9') return head;
    status = status * 10 + (status_line[i] - '0');
  }
  bool length_seen = false;
  for (; !rest.empty(); rest.remove_prefix(crlf + 2)) {
    crlf = rest.find("\r\n");
    const std::string_view line = rest.substr(0, crlf);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return head;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (equals_ignoring_case(name, "content-length")) {
      if (length_seen || value.empty() || value.size() > 12 || !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return head;
      length_seen = true;
      head.content_length = 0;
      for (char c : value) head.content_length = head.content_length * 10 + static_cast<std::size_t>(c - '0');
    } else if (equals_ignoring_case(name, "transfer-encoding")) {
      return head;  // a chunked body: not what a static response is
    } else if (equals_ignoring_case(name, "connection")) {
      head.closes = head.closes || lists(value, "close");
    }
  }
  if (!length_seen) return head;
  head.cut = ResponseHead::Cut::complete;
  head.head_bytes = end + 4;
  head.status = status;
  return head;
}

std::string get_request(std::string_view host) { return fmt::format("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", host); }

}  // namespace http

namespace {

std::string response_head(std::string_view status, std::size_t body_bytes, bool closing) {
  return fmt::format("HTTP/1.1 {}\r\nServer: ipcbench\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{}\r\n", status,
                     body_bytes, closing ? "Connection: close\r\n" : "");
}

// The body: a repeating line, so that a response of any size reads as text.
std::string body_of(std::size_t bytes) {
  std::string body;
  body.reserve(bytes);
  constexpr std::string_view kLine = "ipcbench static response\n";
  while (body.size() < bytes) body.append(kLine.substr(0, std::min(kLine.size(), bytes - body.size())));
  return body;
}

std::span<const std::byte> bytes_of(std::string_view text) noexcept {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

}  // namespace

HttpProtocol::HttpProtocol(std::size_t body_bytes) : body_bytes_(body_bytes) {
  const std::string body = body_of(body_bytes);
  keep_alive_ = response_head("200 OK", body_bytes, false) + body;
  closing_ = response_head("200 OK", body_bytes, true) + body;
}

Frame HttpProtocol::frame(std::span<const std::byte> bytes) const noexcept {
  const http::RequestHead head = http::parse_request_head(bytes);
  switch (head.verdict) {
    case http::Verdict::partial: return {Frame::Cut::partial, 0};
    case http::Verdict::complete: return {head.keep_alive ? Frame::Cut::whole : Frame::Cut::last, head.head_bytes};
    default: return {Frame::Cut::malformed, 0};
  }
}

void HttpProtocol::answer(std::span<const std::byte> request, ByteQueue& out) const {
  const http::RequestHead head = http::parse_request_head(request);
  const std::string_view response = head.keep_alive ? keep_alive_ : closing_;
  out.append(bytes_of(head.head_only ? response.substr(0, response.size() - body_bytes_) : response));
}

void HttpProtocol::refuse(std::span<const std::byte> bytes, ByteQueue& out) const {
  const std::string_view status = http::status_of(http::parse_request_head(bytes).verdict);
  out.append(bytes_of(response_head(status, 0, true)));
}

}  // namespace ipcbench
