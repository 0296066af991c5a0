// The http workload's request parser against well-formed, pipelined, partial, malformed and oversized heads.
#include <gtest/gtest.h>

#include <string>

#include "servers/http.hpp"

namespace ipcbench::http {
namespace {

RequestHead parse(std::string_view text) {
  return parse_request_head({reinterpret_cast<const std::byte*>(text.data()), text.size()});
}

constexpr std::string_view kGet = "GET /index.html?q=1 HTTP/1.1\r\nHost: example\r\nUser-Agent: t\r\n\r\n";

TEST(HttpParser, AWholeGetIsCompleteAndKeepsTheConnection) {
  const RequestHead head = parse(kGet);
  EXPECT_EQ(head.verdict, Verdict::complete);
  EXPECT_EQ(head.head_bytes, kGet.size());
  EXPECT_TRUE(head.keep_alive);
  EXPECT_FALSE(head.head_only);
  EXPECT_EQ(head.target, "/index.html?q=1");
}

TEST(HttpParser, PipelinedRequestsAreCutAtTheFirstHeadsEnd) {
  const std::string two = std::string(kGet) + "HEAD / HTTP/1.1\r\nHost: e\r\n\r\n";
  const RequestHead first = parse(two);
  ASSERT_EQ(first.verdict, Verdict::complete);
  EXPECT_EQ(first.head_bytes, kGet.size());
  const RequestHead second = parse(std::string_view(two).substr(first.head_bytes));
  EXPECT_EQ(second.verdict, Verdict::complete);
  EXPECT_TRUE(second.head_only);
}

TEST(HttpParser, EveryPrefixOfAGoodHeadIsPartial) {
  for (std::size_t n = 0; n < kGet.size(); ++n) EXPECT_EQ(parse(kGet.substr(0, n)).verdict, Verdict::partial) << n;
}

TEST(HttpParser, ConnectionTokensAndVersionsDecideKeepAlive) {
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: e\r\nConnection: Keep-Alive, close\r\n\r\n").keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.1\r\nHost: e\r\nConnection: upgrade\r\n\r\n").keep_alive);
  const RequestHead old = parse("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.verdict, Verdict::complete) << "HTTP/1.0 needs no Host";
  EXPECT_FALSE(old.keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n").keep_alive);
  EXPECT_EQ(parse("GET * HTTP/1.1\r\nHost: e\r\n\r\n").verdict, Verdict::complete);
  EXPECT_EQ(parse("GET http://e/x HTTP/1.1\r\nHost: e\r\n\r\n").verdict, Verdict::complete);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: e\r\nContent-Length: 0\r\n\r\n").verdict, Verdict::complete);
}

TEST(HttpParser, MalformedHeadsAreRefusedWithTheirReason) {
  const std::pair<std::string, Verdict> cases[] = {
      {"GET / HTTP/1.1\nHost: e\n\n", Verdict::malformed},               // bare LF, seen before any end
      {"GET / HTTP/1.1\r\nHost: e\n\r\n\r\n", Verdict::malformed},       // bare LF inside a complete head
      {"GET / HTTP/1.1\r\nHost: e\rX: y\r\n\r\n", Verdict::malformed},   // bare CR
      {"\x16\x03\x01\x02\x00", Verdict::malformed},                     // a TLS hello: control bytes
      {"GET  / HTTP/1.1\r\nHost: e\r\n\r\n", Verdict::malformed},        // two spaces
      {"GET /a b HTTP/1.1\r\nHost: e\r\n\r\n", Verdict::malformed},      // a space in the target
      {"GET a HTTP/1.1\r\nHost: e\r\n\r\n", Verdict::malformed},         // not a path
      {"G(T / HTTP/1.1\r\nHost: e\r\n\r\n", Verdict::malformed},         // not a token
      {"GET / HTTP/1.x\r\nHost: e\r\n\r\n", Verdict::malformed},
      {"GET / HTTP/0.9\r\nHost: e\r\n\r\n", Verdict::malformed},
      {"GET / HTTP/2.0\r\nHost: e\r\n\r\n", Verdict::bad_version},
      {"GET / HTTP/1.1\r\n\r\n", Verdict::malformed},                    // no Host
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", Verdict::malformed},
      {"GET / HTTP/1.1\r\nHost : e\r\n\r\n", Verdict::malformed},        // space before the colon
      {"GET / HTTP/1.1\r\nHost: e\r\n folded\r\n\r\n", Verdict::malformed},
      {"GET / HTTP/1.1\r\nHost: e\r\nNoColon\r\n\r\n", Verdict::malformed},
      {"GET / HTTP/1.1\r\nHost: e\r\nContent-Length: 3\r\n\r\nabc", Verdict::has_body},
      {"GET / HTTP/1.1\r\nHost: e\r\nTransfer-Encoding: chunked\r\n\r\n", Verdict::has_body},
      {"DELETE / HTTP/1.1\r\nHost: e\r\n\r\n", Verdict::not_allowed},
  };
  for (const auto& [text, expected] : cases) EXPECT_EQ(parse(text).verdict, expected) << text;
  EXPECT_EQ(status_of(Verdict::not_allowed), "405 Method Not Allowed");
  EXPECT_EQ(status_of(Verdict::has_body), "400 Bad Request");
}

TEST(HttpParser, HeadsPastTheBoundsAreTooLarge) {
  std::string many = "GET / HTTP/1.1\r\nHost: e\r\n";
  for (std::size_t i = 0; i < kMaxHeaders; ++i) many += "X: y\r\n";
  EXPECT_EQ(parse(many + "\r\n").verdict, Verdict::too_large) << "Host and 64 more";
  const std::string endless = "GET / HTTP/1.1\r\nHost: e\r\nX: " + std::string(kMaxHeadBytes, 'a');
  EXPECT_EQ(parse(endless).verdict, Verdict::too_large);
  EXPECT_EQ(parse(endless.substr(0, kMaxHeadBytes - 1)).verdict, Verdict::partial);
  EXPECT_EQ(parse("GET /" + std::string(kMaxTargetBytes, 'a') + " HTTP/1.1\r\nHost: e\r\n\r\n").verdict, Verdict::malformed);
}

TEST(HttpProtocol, FramesAndAnswersWithTheStaticResponse) {
  const HttpProtocol protocol(10);
  const std::string_view request = "GET / HTTP/1.1\r\nHost: e\r\nConnection: close\r\n\r\n";
  const std::span<const std::byte> bytes{reinterpret_cast<const std::byte*>(request.data()), request.size()};
  const Frame frame = protocol.frame(bytes);
  EXPECT_EQ(frame.cut, Frame::Cut::last);
  EXPECT_EQ(frame.bytes, request.size());
  ByteQueue out;
  protocol.answer(bytes, out);
  const std::string reply(reinterpret_cast<const char*>(out.data().data()), out.size());
  EXPECT_EQ(reply, "HTTP/1.1 200 OK\r\nServer: ipcbench\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
                   "Connection: close\r\n\r\nipcbench s");
  EXPECT_TRUE(protocol.response().starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(protocol.response().find("Connection:"), std::string_view::npos);
}

}  // namespace
}  // namespace ipcbench::http
