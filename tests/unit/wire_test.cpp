// The wire codec: frames cut from a stream however it arrives, every bound of every body just inside and just outside,
// versions refused by name, data frames checked field by field, and garbage that never crashes.
#include "harness/wire.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <random>

namespace ipcbench::wire {
namespace {

using namespace std::chrono_literals;

Hello sample_hello() {
  Hello h;
  h.transport = "udp-epoll";
  h.payload_bytes = 64;
  h.repetition = 3;
  h.plan.round_trips = 5000;
  h.plan.warmup_round_trips = 100;
  h.plan.verify = true;
  h.manifest.cpu_model = "AMD EPYC";
  h.manifest.cpu_count = 2;
  h.manifest.hostname = "lab-1";
  return h;
}

// The error text of parsing `body`, or a note that it parsed.
template <class Parse>
std::string error_of(Parse parse, const std::string& body) {
  try {
    parse(body);
  } catch (const ProtocolError& error) {
    return error.what();
  }
  return "(parsed)";
}

// A hello body with one field replaced: at the top level, or in the object `within`.
std::string hello_with(const std::string& field, const std::string& json_value, const std::string& within = "") {
  nlohmann::json body = nlohmann::json::parse(encode(sample_hello()));
  nlohmann::json& object = within.empty() ? body : body[within];
  object[field] = nlohmann::json::parse(json_value);
  return body.dump();
}

struct Received {
  FrameType type;
  std::string body;  // a copy: the decoder's view lasts only until its next call
};

std::vector<Received> feed(FrameDecoder& decoder, const std::string& bytes, std::size_t chunk) {
  std::vector<Received> frames;
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    const std::size_t n = std::min(chunk, bytes.size() - at);
    const auto space = decoder.space();
    std::memcpy(space.data(), bytes.data() + at, n);
    decoder.commit(n);
    while (auto frame = decoder.next()) frames.push_back({frame->type, std::string(frame->body)});
  }
  return frames;
}

TEST(Wire, EveryBodyRoundTrips) {
  const Hello h = sample_hello();
  const Hello back = parse_hello(encode(h));
  EXPECT_EQ(back.transport, h.transport);
  EXPECT_EQ(back.payload_bytes, 64u);
  EXPECT_EQ(back.repetition, 3u);
  EXPECT_EQ(back.plan.round_trips, std::optional<std::uint64_t>(5000));
  EXPECT_EQ(back.plan.warmup_round_trips, 100u);
  EXPECT_TRUE(back.plan.verify);
  EXPECT_EQ(back.manifest.hostname, "lab-1");

  Hello by_time = h;
  by_time.plan.round_trips.reset();
  by_time.plan.duration = 250ms;
  EXPECT_EQ(parse_hello(encode(by_time)).plan.duration, 250ms);
  EXPECT_FALSE(parse_hello(encode(by_time)).plan.round_trips);

  const Welcome w = parse_welcome(encode(Welcome{kProtocolVersion, 40123, 1, h.manifest}));
  EXPECT_EQ(w.data_port, 40123);
  EXPECT_EQ(w.server_cpu, 1);
  EXPECT_EQ(w.manifest.cpu_model, "AMD EPYC");
  EXPECT_EQ(parse_refuse(encode(Refuse{kProtocolVersion, "busy"})).reason, "busy");
  const Result r = parse_result(encode(Result{true, "", 7, 8, 9, 10, 1}));
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.messages, 7u);
  EXPECT_EQ(r.involuntary_switches, 10u);
}

TEST(Wire, BoundsAreCheckedJustInsideAndJustOutside) {
  EXPECT_EQ(error_of(parse_hello, hello_with("payload_bytes", "1")), "(parsed)");
  EXPECT_EQ(error_of(parse_hello, hello_with("payload_bytes", "1048576")), "(parsed)");
  EXPECT_EQ(error_of(parse_hello, hello_with("payload_bytes", "0")), "hello: \"payload_bytes\" is 0: expected 1..1048576");
  EXPECT_EQ(error_of(parse_hello, hello_with("payload_bytes", "1048577")),
            "hello: \"payload_bytes\" is 1048577: expected 1..1048576");
  EXPECT_EQ(error_of(parse_hello, hello_with("payload_bytes", "-1")),
            "hello: \"payload_bytes\" is -1: expected a whole number 1..1048576");
  EXPECT_EQ(error_of(parse_hello, hello_with("payload_bytes", "\"64\"")),
            "hello: \"payload_bytes\" is \"64\": expected a whole number 1..1048576");
  EXPECT_EQ(error_of(parse_hello, hello_with("transport", "\"" + std::string(32, 't') + "\"")), "(parsed)");
  EXPECT_EQ(error_of(parse_hello, hello_with("transport", "\"" + std::string(33, 't') + "\"")),
            "hello: \"transport\" is 33 bytes long: at most 32");
  EXPECT_EQ(error_of(parse_hello, hello_with("round_trips", "0", "plan")), "hello \"plan\": \"round_trips\" is 0: expected 1..1000000000000");
  EXPECT_EQ(error_of(parse_hello, hello_with("round_trips", "1000000000001", "plan")),
            "hello \"plan\": \"round_trips\" is 1000000000001: expected 1..1000000000000");
  EXPECT_EQ(error_of(parse_welcome, encode(Welcome{kProtocolVersion, 0, -1, {}})),
            "welcome: \"data_port\" is 0: expected 1..65535");
  EXPECT_EQ(error_of(parse_welcome, encode(Welcome{kProtocolVersion, 1, 4096, {}})),
            "welcome: \"server_cpu\" is 4096: expected -1..4095");
  EXPECT_EQ(error_of(parse_result, R"({"ok": 1})"), "result: \"ok\" is 1: expected true or false");
}

TEST(Wire, MalformedBodiesAreOneLineErrors) {
  EXPECT_EQ(error_of(parse_hello, "not json"), "hello: the body is not JSON");
  EXPECT_EQ(error_of(parse_hello, "[1, 2]"), "hello: the body is not a JSON object");
  EXPECT_EQ(error_of(parse_hello, "{}"), "hello: \"protocol\" is missing");
  EXPECT_EQ(error_of(parse_hello, hello_with("plan", R"({"warmup_round_trips": 1, "verify": false})")),
            "hello \"plan\": expected exactly one of \"round_trips\" and \"duration_ns\"");
  EXPECT_EQ(error_of(parse_refuse, R"({"protocol": 1})"), "refuse: \"reason\" is missing");
}

TEST(Wire, AnotherVersionIsRefusedByName) {
  std::string body = hello_with("protocol", "2");
  try {
    parse_hello(body);
    FAIL() << "a protocol 2 hello was accepted";
  } catch (const VersionMismatch& error) {
    EXPECT_EQ(error.theirs, 2u);
    EXPECT_STREQ(error.what(), "protocol 2 is not this side's protocol 1");
  }
  // A refuse from any version can be read: it needs only the protocol and the reason.
  const Refuse refuse = parse_refuse(R"({"protocol": 7, "reason": "old client", "future": [1, 2]})");
  EXPECT_EQ(refuse.protocol, 7u);
  EXPECT_EQ(refuse.reason, "old client");
}

TEST(Wire, UnknownFieldsAreIgnored) {
  std::string body = encode(Refuse{kProtocolVersion, "x"});
  body.insert(1, R"("later": {"a": [1, 2, 3]}, )");
  EXPECT_EQ(parse_refuse(body).reason, "x");
}

TEST(Wire, DecoderCutsFramesHoweverTheBytesArrive) {
  const std::string stream = encode_control(FrameType::hello, encode(sample_hello())) +
                             encode_control(FrameType::refuse, encode(Refuse{kProtocolVersion, "busy"}));
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{24}, stream.size()}) {
    SCOPED_TRACE(chunk);
    FrameDecoder decoder;
    const auto frames = feed(decoder, stream, chunk);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].type, FrameType::hello);
    EXPECT_EQ(parse_hello(frames[0].body).transport, "udp-epoll");
    EXPECT_EQ(frames[1].type, FrameType::refuse);
  }
}

TEST(Wire, DecoderWaitsForATruncatedFrame) {
  const std::string frame = encode_control(FrameType::result, encode(Result{}));
  FrameDecoder decoder;
  EXPECT_TRUE(feed(decoder, frame.substr(0, 10), 10).empty());
  EXPECT_TRUE(feed(decoder, frame.substr(10, frame.size() - 11), 64).empty());
  EXPECT_EQ(feed(decoder, frame.substr(frame.size() - 1), 1).size(), 1u);
}

std::string decoder_error(const std::string& bytes) {
  FrameDecoder decoder;
  try {
    feed(decoder, bytes, bytes.size());
  } catch (const ProtocolError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(Wire, DecoderRefusesBadHeadersFromTheHeaderAlone) {
  std::string header = encode_control(FrameType::hello, "");
  std::string bad = header;
  bad[0] = 'G';
  bad[1] = 'E';  // an HTTP client
  EXPECT_EQ(decoder_error(bad), "not an ipcbench frame (magic 0x4547, not 0x4249)");
  bad = header;
  bad[kTypeAt] = 9;
  EXPECT_EQ(decoder_error(bad), "unknown frame type 9");
  bad = header;
  bad[kTypeAt] = static_cast<char>(FrameType::request);
  EXPECT_EQ(decoder_error(bad), "a request frame where a control frame was expected");
  bad = header;
  bad[kFlagsAt] = 1;
  EXPECT_EQ(decoder_error(bad), "frame flags 0x01: protocol 1 has none");
  bad = header;
  const std::uint32_t too_long = kMaxControlBodyBytes + 1;
  std::memcpy(bad.data() + kLengthAt, &too_long, 4);
  EXPECT_EQ(decoder_error(bad), "a 16385-byte control frame body: at most 16384");  // no body byte was needed
}

TEST(Wire, DataFramesAreStampedAndCheckedFieldByField) {
  std::vector<std::byte> frame(kHeaderBytes + 64);
  stamp_data(frame, FrameType::request, 42, 1234);
  EXPECT_TRUE(is_data_frame(frame, FrameType::request));
  EXPECT_FALSE(is_data_frame(frame, FrameType::stop));
  EXPECT_EQ(sequence_of(frame), 42u);
  EXPECT_EQ(timestamp_of(frame), 1234u);
  set_type(frame, FrameType::reply);
  EXPECT_EQ(type_of(frame), FrameType::reply);
  EXPECT_TRUE(is_data_frame(frame, FrameType::reply));

  const auto error_after = [&](std::size_t offset, std::byte value) {
    std::vector<std::byte> copy = frame;
    copy[offset] = value;
    EXPECT_FALSE(is_data_frame(copy, FrameType::reply)) << offset;
    try {
      throw_bad_data_frame(copy, "reply");
    } catch (const ProtocolError& error) {
      return std::string(error.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error_after(kMagicAt, std::byte{0}), "not an ipcbench frame (magic 0x4200, not 0x4249)");
  EXPECT_EQ(error_after(kTypeAt, std::byte{6}), "a stop frame (type 6) where reply was expected");
  EXPECT_EQ(error_after(kTypeAt, std::byte{99}), "a unknown frame (type 99) where reply was expected");
  EXPECT_EQ(error_after(kFlagsAt, std::byte{2}), "frame flags 0x02: protocol 1 has none");
  EXPECT_EQ(error_after(kLengthAt, std::byte{100}), "a frame of 100 bytes where 64 were agreed");
}

TEST(Wire, GarbageNeverCrashes) {
  std::mt19937_64 random(20261201);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(random() % 200, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    if (i % 2) bytes.replace(0, std::min<std::size_t>(3, bytes.size()), "IB\x01");
    for (auto parse : {+[](std::string_view b) { parse_hello(b); }, +[](std::string_view b) { parse_result(b); }}) {
      try {
        parse(bytes);
      } catch (const ProtocolError&) {
      }
    }
    try {
      FrameDecoder decoder;
      feed(decoder, bytes, 5);
    } catch (const ProtocolError&) {
    }
  }
}

}  // namespace
}  // namespace ipcbench::wire

namespace ipcbench::wire {
namespace {

// The fuzzer's seeds were written by tests/fuzz/make_corpus.py from docs/wire-protocol.md
// alone: that the codec reads them is a check of the spec against the code.
std::string seed(const std::string& name) {
  std::ifstream in(std::string(IPCBENCH_FUZZ_CORPUS) + "/" + name + ".bin", std::ios::binary);
  EXPECT_TRUE(in) << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(WireSeeds, FramesWrittenFromTheSpecAloneAreRead) {
  FrameDecoder decoder;
  auto frames = feed(decoder, seed("hello"), 9);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(parse_hello(frames[0].body).manifest.hostname, "lab-1");
  EXPECT_EQ(parse_hello(feed(decoder, seed("hello-round-trips"), 4096).at(0).body).plan.round_trips,
            std::optional<std::uint64_t>(1'000'000'000'000));
  EXPECT_THROW(parse_hello(feed(decoder, seed("hello-v2"), 4096).at(0).body), VersionMismatch);
  EXPECT_EQ(parse_welcome(feed(decoder, seed("welcome"), 4096).at(0).body).data_port, 40123);
  EXPECT_TRUE(parse_result(feed(decoder, seed("result"), 4096).at(0).body).ok);
  frames = feed(decoder, seed("result-failed-then-refuse"), 4096);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(parse_refuse(frames[1].body).protocol, 2u);
  EXPECT_EQ(seed("refuse"), encode_control(FrameType::refuse, encode(Refuse{kProtocolVersion, "busy"}))) << "byte for byte";

  const std::string request = seed("request-64");
  const std::span<const std::byte> frame(reinterpret_cast<const std::byte*>(request.data()), request.size());
  EXPECT_TRUE(is_data_frame(frame, FrameType::request));
  EXPECT_EQ(sequence_of(frame), 7u);
  EXPECT_EQ(timestamp_of(frame), 123456789u);
}

TEST(WireSeeds, ControlCharactersOfAPeerNeverReachALogLine) {
  const Refuse refuse = parse_refuse(R"({"protocol": 1, "reason": "a\u001b[2Jb\nc"})");
  EXPECT_EQ(refuse.reason, "a?[2Jb?c");
  EXPECT_EQ(error_of(parse_hello, hello_with("transport", R"("tcp\n")")),
            "hello: \"transport\" is \"tcp?\": expected a transport name of a-z, 0-9 and -");
}

}  // namespace
}  // namespace ipcbench::wire

namespace ipcbench::wire {
namespace {

TEST(WireSeeds, AnUnsignedPastInt64IsNotMinusOne) {
  EXPECT_EQ(error_of(parse_result, R"({"ok": true, "reason": "", "messages": 0, "cpu_ns": 0, "voluntary_switches": 0,
                                      "involuntary_switches": 0, "cpu": 18446744073709551615})"),
            "result: \"cpu\" is 18446744073709551615: expected a whole number -1..4095");
}

TEST(WireSeeds, AReasonCutToItsBoundEndsWhereACharacterEnds) {
  const std::string reason = std::string(511, 'x') + "\xc3\xa9";  // 'é' straddles byte 512
  const Refuse sent = parse_refuse(encode(Refuse{kProtocolVersion, reason}));
  EXPECT_EQ(sent.reason, std::string(511, 'x'));
}

}  // namespace
}  // namespace ipcbench::wire
