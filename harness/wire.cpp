// The wire protocol's cold half: control frames cut from a stream, and their JSON bodies checked field by field.
#include "harness/wire.hpp"

#include <fmt/format.h>

#include "harness/utf8.hpp"
#include <nlohmann/json.hpp>

#include <limits>

namespace ipcbench::wire {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxTransportName = 32;
constexpr std::size_t kMaxReason = 512;
constexpr std::size_t kMaxManifestText = 256;
constexpr std::uint64_t kMaxPayload = std::uint64_t{1} << 20;
constexpr auto kMaxDurationNs = static_cast<std::uint64_t>(std::chrono::nanoseconds(kMaxPassDuration).count());

bool is_control(std::uint8_t type) noexcept {
  return type == 1 || type == 2 || type == 3 || type == 7;
}
bool is_known(std::uint8_t type) noexcept { return type >= 1 && type <= 7; }

template <class T>
T read_at(const std::byte* at) noexcept {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

// A peer's text ends up on terminals, in logs and in CSV fields: C0 and C1 control
// characters (an escape sequence, a line break, CSI) become '?'. The JSON parser has
// already refused invalid UTF-8.
std::string printable(std::string text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out += '?';
    } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      out += '?';  // U+0080..U+009F
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// One body being read: every accessor names the frame and the field in its error.
class Body {
 public:
  Body(std::string_view what, std::string_view text) : what_(what) {
    object_ = json::parse(text.begin(), text.end(), nullptr, false);
    if (object_.is_discarded()) fail("the body is not JSON");
    if (!object_.is_object()) fail("the body is not a JSON object");
  }
  Body(std::string_view what, json object) : what_(what), object_(std::move(object)) {
    if (!object_.is_object()) fail("not a JSON object");
  }

  [[noreturn]] void fail(std::string_view problem) const { throw ProtocolError(fmt::format("{}: {}", what_, problem)); }

  const json& field(std::string_view name) const {
    const auto it = object_.find(name);
    if (it == object_.end()) fail(fmt::format("\"{}\" is missing", name));
    return *it;
  }
  [[nodiscard]] bool has(std::string_view name) const { return object_.contains(name); }

  std::uint64_t unsigned_in(std::string_view name, std::uint64_t low, std::uint64_t high) const {
    const json& value = field(name);
    if (!value.is_number_unsigned())
      fail(fmt::format("\"{}\" is {}: expected a whole number {}..{}", name, shown(value), low, high));
    const auto number = value.get<std::uint64_t>();
    if (number < low || number > high) fail(fmt::format("\"{}\" is {}: expected {}..{}", name, number, low, high));
    return number;
  }
  std::int64_t signed_in(std::string_view name, std::int64_t low, std::int64_t high) const {
    const json& value = field(name);
    if (!value.is_number_integer() ||
        (value.is_number_unsigned() && value.get<std::uint64_t>() > std::uint64_t{std::numeric_limits<std::int64_t>::max()}))
      fail(fmt::format("\"{}\" is {}: expected a whole number {}..{}", name, shown(value), low, high));
    const auto number = value.get<std::int64_t>();
    if (number < low || number > high) fail(fmt::format("\"{}\" is {}: expected {}..{}", name, number, low, high));
    return number;
  }
  std::string text(std::string_view name, std::size_t max_bytes) const {
    const json& value = field(name);
    if (!value.is_string()) fail(fmt::format("\"{}\" is {}: expected a string", name, shown(value)));
    std::string s = value.get<std::string>();
    if (s.size() > max_bytes) fail(fmt::format("\"{}\" is {} bytes long: at most {}", name, s.size(), max_bytes));
    return printable(std::move(s));
  }
  bool flag(std::string_view name) const {
    const json& value = field(name);
    if (!value.is_boolean()) fail(fmt::format("\"{}\" is {}: expected true or false", name, shown(value)));
    return value.get<bool>();
  }
  double real(std::string_view name, double low, double high) const {
    const json& value = field(name);
    if (!value.is_number()) fail(fmt::format("\"{}\" is {}: expected a number", name, shown(value)));
    const double number = value.get<double>();
    if (!(number >= low && number <= high)) fail(fmt::format("\"{}\" is {}: expected {}..{}", name, number, low, high));
    return number;
  }
  Body object(std::string_view name) const { return Body(fmt::format("{} \"{}\"", what_, name), field(name)); }

 private:
  // A value in an error line, cut short: the peer chose it.
  static std::string shown(const json& value) {
    std::string text = value.dump(-1, ' ', true, json::error_handler_t::replace);
    if (text.size() > 40) text = text.substr(0, 40) + "...";
    return text;
  }
  std::string what_;
  json object_;
};

// What this side sends is held to the bounds the peer checks, cut where a character ends.
std::string bounded(const std::string& text, std::size_t max_bytes) {
  return std::string(utf8_prefix(text, max_bytes));
}

json to_json(const Manifest& m) {
  const auto t = [](const std::string& text) { return bounded(text, kMaxManifestText); };
  return {{"run_id", t(m.run_id)},
          {"cpu_model", t(m.cpu_model)},
          {"cpu_count", m.cpu_count},
          {"kernel", t(m.kernel)},
          {"virtualization", t(m.virtualization)},
          {"governor", t(m.governor)},
          {"compiler", t(m.compiler)},
          {"compiler_flags", t(m.compiler_flags)},
          {"build_type", t(m.build_type)},
          {"sanitizer", t(m.sanitizer)},
          {"ipcbench_version", t(m.ipcbench_version)},
          {"git_commit", t(m.git_commit)},
          {"timer_source", t(m.timer_source)},
          {"timer_overhead_ns", m.timer_overhead_ns},
          {"cpus", t(m.cpus)},
          {"hostname", t(m.hostname)}};
}

Manifest manifest_from(const Body& body) {
  Manifest m;
  m.run_id = body.text("run_id", kMaxManifestText);
  m.cpu_model = body.text("cpu_model", kMaxManifestText);
  m.cpu_count = static_cast<int>(body.signed_in("cpu_count", 0, 1 << 20));
  m.kernel = body.text("kernel", kMaxManifestText);
  m.virtualization = body.text("virtualization", kMaxManifestText);
  m.governor = body.text("governor", kMaxManifestText);
  m.compiler = body.text("compiler", kMaxManifestText);
  m.compiler_flags = body.text("compiler_flags", kMaxManifestText);
  m.build_type = body.text("build_type", kMaxManifestText);
  m.sanitizer = body.text("sanitizer", kMaxManifestText);
  m.ipcbench_version = body.text("ipcbench_version", kMaxManifestText);
  m.git_commit = body.text("git_commit", kMaxManifestText);
  m.timer_source = body.text("timer_source", kMaxManifestText);
  m.timer_overhead_ns = body.real("timer_overhead_ns", 0, 1e9);
  m.cpus = body.text("cpus", kMaxManifestText);
  m.hostname = body.text("hostname", kMaxManifestText);
  return m;
}

std::string dump(const json& object) { return object.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string_view to_string(FrameType type) noexcept {
  switch (type) {
    case FrameType::hello: return "hello";
    case FrameType::welcome: return "welcome";
    case FrameType::refuse: return "refuse";
    case FrameType::request: return "request";
    case FrameType::reply: return "reply";
    case FrameType::stop: return "stop";
    case FrameType::result: return "result";
  }
  return "unknown";
}

void throw_bad_data_frame(std::span<const std::byte> frame, std::string_view expected_types) {
  const auto magic = read_at<std::uint16_t>(frame.data() + kMagicAt);
  const auto type = static_cast<std::uint8_t>(frame[kTypeAt]);
  const auto flags = static_cast<std::uint8_t>(frame[kFlagsAt]);
  const auto length = read_at<std::uint32_t>(frame.data() + kLengthAt);
  if (magic != kMagic) throw ProtocolError(fmt::format("not an ipcbench frame (magic {:#06x}, not {:#06x})", magic, kMagic));
  if (flags != 0) throw ProtocolError(fmt::format("frame flags {:#04x}: protocol {} has none", flags, kProtocolVersion));
  if (length != frame.size() - kHeaderBytes)
    throw ProtocolError(fmt::format("a frame of {} bytes where {} were agreed", length, frame.size() - kHeaderBytes));
  throw ProtocolError(fmt::format("a {} frame (type {}) where {} was expected",
                                  is_known(type) ? to_string(static_cast<FrameType>(type)) : "unknown", type, expected_types));
}

std::string encode_control(FrameType type, std::string_view body) {
  std::string frame(kHeaderBytes + body.size(), '\0');
  const std::uint16_t magic = kMagic;
  const auto length = static_cast<std::uint32_t>(body.size());
  std::memcpy(frame.data() + kMagicAt, &magic, 2);
  frame[kTypeAt] = static_cast<char>(type);
  std::memcpy(frame.data() + kLengthAt, &length, 4);
  std::memcpy(frame.data() + kHeaderBytes, body.data(), body.size());
  return frame;
}

FrameDecoder::FrameDecoder() : buffer_(std::make_unique<std::byte[]>(kCapacity)) {}

std::span<std::byte> FrameDecoder::space() noexcept {
  // Whatever is left of a frame moves to the front, so a whole frame always fits.
  if (begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  return {buffer_.get() + end_, kCapacity - end_};
}

void FrameDecoder::commit(std::size_t bytes) noexcept { end_ = std::min(kCapacity, end_ + bytes); }

std::optional<ControlFrame> FrameDecoder::next() {
  const std::byte* at = buffer_.get() + begin_;
  const std::size_t have = end_ - begin_;
  if (have < kHeaderBytes) return std::nullopt;
  const auto magic = read_at<std::uint16_t>(at + kMagicAt);
  const auto type = static_cast<std::uint8_t>(at[kTypeAt]);
  const auto flags = static_cast<std::uint8_t>(at[kFlagsAt]);
  const auto length = read_at<std::uint32_t>(at + kLengthAt);
  if (magic != kMagic) throw ProtocolError(fmt::format("not an ipcbench frame (magic {:#06x}, not {:#06x})", magic, kMagic));
  if (!is_known(type)) throw ProtocolError(fmt::format("unknown frame type {}", type));
  if (!is_control(type))
    throw ProtocolError(fmt::format("a {} frame where a control frame was expected", to_string(static_cast<FrameType>(type))));
  if (flags != 0) throw ProtocolError(fmt::format("frame flags {:#04x}: protocol {} has none", flags, kProtocolVersion));
  if (length > kMaxControlBodyBytes)
    throw ProtocolError(fmt::format("a {}-byte control frame body: at most {}", length, kMaxControlBodyBytes));
  if (have < kHeaderBytes + length) return std::nullopt;
  begin_ += kHeaderBytes + length;
  return ControlFrame{static_cast<FrameType>(type), read_at<std::uint64_t>(at + kSequenceAt),
                      read_at<std::uint64_t>(at + kTimestampAt),
                      std::string_view(reinterpret_cast<const char*>(at + kHeaderBytes), length)};
}

VersionMismatch::VersionMismatch(std::uint32_t their_version, std::uint32_t ours)
    : ProtocolError(fmt::format("protocol {} is not this side's protocol {}", their_version, ours)), theirs(their_version) {}

std::string encode(const Hello& h) {
  json plan = {{"warmup_round_trips", h.plan.warmup_round_trips}, {"verify", h.plan.verify}};
  if (h.plan.round_trips) plan["round_trips"] = *h.plan.round_trips;
  else plan["duration_ns"] = static_cast<std::uint64_t>(h.plan.duration.count());
  return dump({{"protocol", h.protocol},
               {"transport", h.transport},
               {"payload_bytes", h.payload_bytes},
               {"repetition", h.repetition},
               {"plan", plan},
               {"manifest", to_json(h.manifest)}});
}

std::string encode(const Welcome& w) {
  return dump({{"protocol", w.protocol}, {"data_port", w.data_port}, {"server_cpu", w.server_cpu}, {"manifest", to_json(w.manifest)}});
}

std::string encode(const Refuse& r) { return dump({{"protocol", r.protocol}, {"reason", bounded(r.reason, kMaxReason)}}); }

std::string encode(const Result& r) {
  return dump({{"ok", r.ok},
               {"reason", bounded(r.reason, kMaxReason)},
               {"messages", r.messages},
               {"cpu_ns", r.cpu_ns},
               {"voluntary_switches", r.voluntary_switches},
               {"involuntary_switches", r.involuntary_switches},
               {"cpu", r.cpu}});
}

Hello parse_hello(std::string_view text) {
  const Body body("hello", text);
  Hello h;
  h.protocol = static_cast<std::uint32_t>(body.unsigned_in("protocol", 0, std::numeric_limits<std::uint32_t>::max()));
  if (h.protocol != kProtocolVersion) throw VersionMismatch(h.protocol, kProtocolVersion);
  h.transport = body.text("transport", kMaxTransportName);
  if (h.transport.empty() || h.transport.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
    body.fail(fmt::format("\"transport\" is \"{}\": expected a transport name of a-z, 0-9 and -", h.transport));
  h.payload_bytes = body.unsigned_in("payload_bytes", 1, kMaxPayload);
  h.repetition = static_cast<std::uint32_t>(body.unsigned_in("repetition", 1, 1'000'000));
  const Body plan = body.object("plan");
  if (plan.has("round_trips") == plan.has("duration_ns")) plan.fail("expected exactly one of \"round_trips\" and \"duration_ns\"");
  if (plan.has("round_trips")) h.plan.round_trips = plan.unsigned_in("round_trips", 1, kMaxPassRoundTrips);
  else h.plan.duration = std::chrono::nanoseconds(plan.unsigned_in("duration_ns", 1, kMaxDurationNs));
  h.plan.warmup_round_trips = plan.unsigned_in("warmup_round_trips", 0, kMaxWarmupRoundTrips);
  h.plan.verify = plan.flag("verify");
  h.manifest = manifest_from(body.object("manifest"));
  return h;
}

Welcome parse_welcome(std::string_view text) {
  const Body body("welcome", text);
  Welcome w;
  w.protocol = static_cast<std::uint32_t>(body.unsigned_in("protocol", kProtocolVersion, kProtocolVersion));
  w.data_port = static_cast<std::uint16_t>(body.unsigned_in("data_port", 1, 65535));
  w.server_cpu = static_cast<int>(body.signed_in("server_cpu", -1, 4095));
  w.manifest = manifest_from(body.object("manifest"));
  return w;
}

Refuse parse_refuse(std::string_view text) {
  const Body body("refuse", text);
  return {static_cast<std::uint32_t>(body.unsigned_in("protocol", 0, std::numeric_limits<std::uint32_t>::max())),
          body.text("reason", kMaxReason)};
}

Result parse_result(std::string_view text) {
  const Body body("result", text);
  constexpr std::uint64_t kMaxCount = std::numeric_limits<std::int64_t>::max();
  return {body.flag("ok"),
          body.text("reason", kMaxReason),
          body.unsigned_in("messages", 0, kMaxCount),
          body.unsigned_in("cpu_ns", 0, kMaxCount),
          body.unsigned_in("voluntary_switches", 0, kMaxCount),
          body.unsigned_in("involuntary_switches", 0, kMaxCount),
          static_cast<int>(body.signed_in("cpu", -1, 4095))};
}

Manifest manifest_from_json_text(std::string_view text) { return manifest_from(Body("manifest", text)); }

}  // namespace ipcbench::wire
