// The generator's event loop: connects, paces requests to the microsecond (epoll_pwait2 plus a short spin), reads and checks replies, counts errors by kind.
#include "load/generator.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <system_error>
#include <vector>

#include "harness/sys/affinity.hpp"
#include "harness/sys/fd.hpp"
#include "harness/utf8.hpp"
#include "load/open_loop.hpp"
#include "servers/http.hpp"
#include "servers/kv_wire.hpp"

namespace ipcbench {
namespace {

// Closer than this to a due time, the loop polls instead of sleeping: a timer wake-up on a
// VM is late by tens of microseconds, a poll is not.
constexpr std::uint64_t kSpinNs = 20'000;
constexpr std::size_t kMaxConnectsInFlight = 256;
constexpr std::size_t kKeyBytes = 12;  // "key:" and eight digits
constexpr std::uint64_t kTimeoutScanNs = 10'000'000;

std::uint64_t now_ns() noexcept {
  timespec t;
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000 + static_cast<std::uint64_t>(t.tv_nsec);
}

std::uint64_t thread_cpu_ns() noexcept {
  timespec t;
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000 + static_cast<std::uint64_t>(t.tv_nsec);
}

struct Client {
  sys::Fd fd;
  bool connecting = false;
  bool writing = false;  // EPOLLOUT is armed for a partial request
  std::uint64_t connect_started_ns = 0;
  std::uint64_t sequence = 0;
  std::size_t head_bytes = 0;  // of the request header in `head`
  std::size_t body_bytes = 0;  // of the request body, from the shared template
  std::size_t written = 0;
  std::size_t reply_bytes = 0;  // expected; until a kv header is in, its size
  std::size_t received = 0;
  bool get = false;
  std::array<std::byte, kv::kHeaderBytes + kKeyBytes> head{};
  std::array<std::byte, kv::kHeaderBytes> reply_head{};
  std::vector<std::byte> http_head;  // http: the response head as it comes in (and what follows it in the same read)
};

// A longer response head is a protocol error: our servers' is 90 B, nginx's about 250 B.
constexpr std::size_t kMaxResponseHeadBytes = 2048;

class Generator {
 public:
  Generator(const GeneratorPlan& plan, GeneratorReport& report, int phase_fd)
      : plan_(plan),
        report_(report),
        phase_fd_(phase_fd),
        epoll_(::epoll_create1(EPOLL_CLOEXEC)),
        clients_(plan.connections),
        body_(std::max<std::size_t>(plan.payload_bytes, 1)),
        scratch_(64 * 1024) {
    if (!epoll_) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    for (std::size_t i = 0; i < body_.size(); ++i) body_[i] = static_cast<std::byte>(i * 7 + 1);
    if (plan.workload == Workload::http) {
      // Every connection sends the same GET: it is the shared body, with no per-request head.
      const std::string request = http::get_request(plan.target.to_string());
      body_.assign(reinterpret_cast<const std::byte*>(request.data()), reinterpret_cast<const std::byte*>(request.data()) + request.size());
      for (Client& client : clients_) client.http_head.resize(kMaxResponseHeadBytes);
    }
    events_.resize(std::min<std::size_t>(plan.connections + 1, 1024));
  }

  void run() {
    const bool churn = plan_.workload == Workload::churn;
    if (!churn) connect_all();
    announce(GeneratorPhase::connected);
    if (phase_fd_ >= 0) await_go();

    const std::uint64_t start = now_ns();
    const std::uint64_t measure_from = start + static_cast<std::uint64_t>(plan_.warmup.count());
    const std::uint64_t end = measure_from + static_cast<std::uint64_t>(plan_.duration.count());
    OpenLoop loop(plan_.connections, plan_.rate_per_s, start, measure_from, end);
    loop_ = &loop;
    std::uint64_t cpu_before = thread_cpu_ns();
    bool window_announced = false;
    std::uint64_t next_scan = start + kTimeoutScanNs;
    for (std::uint64_t now = start; now < end; now = now_ns()) {
      if (!window_announced && now >= measure_from) {
        announce(GeneratorPhase::measuring);
        window_announced = true;
        cpu_before = thread_cpu_ns();  // the window's CPU, as the server's is
      }
      loop.release_due(now, [this](std::size_t c, std::uint64_t) { return begin_request(c); });
      std::uint64_t wake = std::min({loop.next_due_ns(), end, next_scan, window_announced ? end : measure_from});
      wait_and_handle(wake > now ? wake - now : 0);
      if (now >= next_scan) {
        expire_timeouts(now);
        next_scan = now + kTimeoutScanNs;
      }
    }
    if (!window_announced) announce(GeneratorPhase::measuring);
    announce(GeneratorPhase::measured);
    report_.cpu_ns = thread_cpu_ns() - cpu_before;

    // Drain: no new requests (OpenLoop sends none from `end` on); replies still on their way
    // are taken for up to the timeout, then counted as timed out.
    const std::uint64_t drain_until = now_ns() + static_cast<std::uint64_t>(plan_.timeout.count()) * 1'000'000;
    while (outstanding() > 0 && now_ns() < drain_until) wait_and_handle(1'000'000);
    expire_timeouts(OpenLoop::kNever);
    // The connections stay open until the supervisor has sampled the server at the window's
    // end: closing them at once would race its sample with a thousand threads or buffers
    // going away.
    if (phase_fd_ >= 0) await_go();

    report_.corrected = loop.corrected();
    report_.uncorrected = loop.uncorrected();
    report_.measured = loop.measured();
    report_.completed_in_window = loop.completed_in_window();
    report_.sent_in_window = loop.sent_in_window();
    report_.missed = loop.missed();
    report_.window_ns = loop.window_ns();
    if (!churn) report_.connections_reached = reached_;
    loop_ = nullptr;
    clients_.clear();
    report_.finished = true;
  }

 private:
  void announce(GeneratorPhase phase) noexcept {
    if (phase_fd_ < 0) return;
    const char byte = static_cast<char>(phase);
    ssize_t n;
    do {
      n = ::write(phase_fd_, &byte, 1);
    } while (n < 0 && errno == EINTR);
  }

  void await_go() {
    char byte = 0;
    ssize_t n;
    do {
      n = ::read(phase_fd_, &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1 || byte != static_cast<char>(GeneratorPhase::go)) throw std::runtime_error("the supervisor went away");
  }

  void error(LoadError kind, std::string_view what) {
    ++report_.errors[static_cast<std::size_t>(kind)];
    if (report_.first_error[0] == '\0') {
      const std::string text = fmt::format("{}: {}", kLoadErrorNames[static_cast<std::size_t>(kind)], what);
      const std::string_view kept = utf8_prefix(text, report_.first_error.size() - 1);
      std::memcpy(report_.first_error.data(), kept.data(), kept.size());
    }
  }

  // --- connections -------------------------------------------------------------------

  bool start_connect(std::size_t c) {
    Client& client = clients_[c];
    client.fd = sys::Fd(::socket(plan_.target.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!client.fd) {
      error(LoadError::connect, fmt::format("socket: {}", std::strerror(errno)));
      return false;
    }
    const int one = 1;
    ::setsockopt(client.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    client.connect_started_ns = now_ns();
    if (::connect(client.fd.get(), plan_.target.get(), plan_.target.length()) != 0 && errno != EINPROGRESS) {
      error(LoadError::connect, fmt::format("connect to {}: {}", plan_.target.to_string(), std::strerror(errno)));
      client.fd.reset();
      return false;
    }
    client.connecting = true;
    watch(c, EPOLLOUT, EPOLL_CTL_ADD);
    return true;
  }

  // The connect finished: established, or failed with SO_ERROR.
  bool finish_connect(std::size_t c) {
    Client& client = clients_[c];
    int so_error = 0;
    socklen_t length = sizeof so_error;
    ::getsockopt(client.fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &length);
    client.connecting = false;
    if (so_error != 0) {
      error(LoadError::connect, fmt::format("connect to {}: {}", plan_.target.to_string(), std::strerror(so_error)));
      client.fd.reset();
      return false;
    }
    report_.connect.record(now_ns() - client.connect_started_ns);
    ++reached_;
    watch(c, EPOLLIN, EPOLL_CTL_MOD);
    return true;
  }

  // Every connection before the schedule starts, at most kMaxConnectsInFlight at a time so
  // that the server's accept queue is not what is measured.
  void connect_all() {
    const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(plan_.timeout.count()) * 1'000'000 * 4;
    std::size_t next = 0, in_flight = 0;
    while ((next < clients_.size() || in_flight > 0) && now_ns() < deadline) {
      for (; next < clients_.size() && in_flight < kMaxConnectsInFlight; ++next)
        if (start_connect(next)) ++in_flight;
      const int n = ::epoll_wait(epoll_.get(), events_.data(), static_cast<int>(events_.size()), 10);
      for (int i = 0; i < n; ++i) {
        const std::size_t c = events_[i].data.u64;
        if (!clients_[c].connecting) continue;
        --in_flight;
        finish_connect(c);
      }
    }
    for (std::size_t c = 0; c < clients_.size(); ++c)
      if (clients_[c].connecting) {
        error(LoadError::connect, fmt::format("connect to {} did not finish in time", plan_.target.to_string()));
        clients_[c].fd.reset();
        clients_[c].connecting = false;
      }
  }

  void watch(std::size_t c, std::uint32_t events, int op) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = c;
    ::epoll_ctl(epoll_.get(), op, clients_[c].fd.get(), &event);
  }

  void close_client(std::size_t c) {
    clients_[c].fd.reset();  // leaves the epoll set with it
    clients_[c].connecting = false;
    clients_[c].writing = false;
  }

  void fail(std::size_t c, LoadError kind, std::string_view what) {
    error(kind, what);
    close_client(c);
    lose_request(c);
  }

  // A churn slot goes on with its next request; a connection of the other workloads is lost.
  void lose_request(std::size_t c) noexcept {
    if (plan_.workload == Workload::churn) loop_->abandon(c);
    else loop_->gone(c);
  }

  // --- requests ----------------------------------------------------------------------

  // OpenLoop's send: the next request on connection c. Churn opens the connection first.
  bool begin_request(std::size_t c) {
    Client& client = clients_[c];
    client.sequence = loop_->sequence(c);
    client.written = 0;
    client.received = 0;
    if (plan_.workload == Workload::churn) {
      if (!start_connect(c)) {
        loop_->abandon(c);  // counted; the slot's next request tries again
        return true;
      }
      loop_->sent_at(c, client.connect_started_ns);
      compose(c);
      return true;
    }
    if (!client.fd) return false;
    compose(c);
    loop_->sent_at(c, now_ns());
    return write_request(c);
  }

  void compose(std::size_t c) {
    Client& client = clients_[c];
    if (plan_.workload == Workload::http) {
      client.head_bytes = 0;
      client.body_bytes = body_.size();
      client.reply_bytes = 0;  // until the response head says
      return;
    }
    if (plan_.workload != Workload::kv && plan_.frame == EchoFrame::sockperf) {
      // sockperf's header, big-endian: sequence, flags (client | pong request), message length.
      const std::uint64_t sequence = __builtin_bswap64(client.sequence);
      const std::uint16_t flags = __builtin_bswap16(kSockperfClientPongRequest);
      const std::uint32_t length = __builtin_bswap32(static_cast<std::uint32_t>(plan_.payload_bytes));
      std::memcpy(client.head.data(), &sequence, 8);
      std::memcpy(client.head.data() + 8, &flags, 2);
      std::memcpy(client.head.data() + 10, &length, 4);
      client.head_bytes = kSockperfHeaderBytes;
      client.body_bytes = plan_.payload_bytes - kSockperfHeaderBytes;
      client.reply_bytes = plan_.payload_bytes;
      return;
    }
    if (plan_.workload != Workload::kv) {
      const std::uint64_t index = c;
      std::memcpy(client.head.data(), &client.sequence, 8);
      std::memcpy(client.head.data() + 8, &index, 8);
      client.head_bytes = kEchoHeaderBytes;
      client.body_bytes = plan_.payload_bytes - kEchoHeaderBytes;
      client.reply_bytes = plan_.payload_bytes;
      return;
    }
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    const std::uint64_t key = rng_ % plan_.kv_keys;
    client.get = static_cast<double>(rng_ >> 11) * 0x1.0p-53 < plan_.kv_get_ratio;
    const std::size_t value = client.get ? 0 : plan_.payload_bytes;
    kv::write_header(client.head, {kv::length_for(kKeyBytes, value), static_cast<std::uint8_t>(client.get ? kv::Op::get : kv::Op::set),
                                   static_cast<std::uint16_t>(kKeyBytes), client.sequence});
    fmt::format_to_n(reinterpret_cast<char*>(client.head.data() + kv::kHeaderBytes), kKeyBytes, "key:{:08}", key % 100'000'000);
    client.head_bytes = kv::kHeaderBytes + kKeyBytes;
    client.body_bytes = value;
    client.reply_bytes = kv::kHeaderBytes;  // until the reply's header says more
  }

  // Writes what is left of the request; arms EPOLLOUT for the rest. False: connection gone.
  bool write_request(std::size_t c) {
    Client& client = clients_[c];
    const std::size_t total = client.head_bytes + client.body_bytes;
    while (client.written < total) {
      iovec parts[2];
      int count = 0;
      if (client.written < client.head_bytes)
        parts[count++] = {client.head.data() + client.written, client.head_bytes - client.written};
      const std::size_t body_from = client.written > client.head_bytes ? client.written - client.head_bytes : 0;
      if (client.body_bytes > body_from) parts[count++] = {body_.data() + body_from, client.body_bytes - body_from};
      msghdr message{};
      message.msg_iov = parts;
      message.msg_iovlen = static_cast<std::size_t>(count);
      const ssize_t n = ::sendmsg(client.fd.get(), &message, MSG_NOSIGNAL);
      if (n > 0) {
        client.written += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        if (!client.writing) watch(c, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
        client.writing = true;
        return true;
      }
      const bool reset = errno == EPIPE || errno == ECONNRESET;
      fail(c, reset ? LoadError::reset : LoadError::write, fmt::format("send: {}", std::strerror(errno)));
      return false;
    }
    if (client.writing) watch(c, EPOLLIN, EPOLL_CTL_MOD);
    client.writing = false;
    return true;
  }

  // With no request outstanding the socket must stay empty: anything there is an error.
  void check_idle(std::size_t c) {
    std::byte stray;
    const ssize_t n = ::recv(clients_[c].fd.get(), &stray, 1, 0);
    if (n > 0) fail(c, LoadError::protocol, "bytes arrived with no request outstanding");
    else if (n == 0) fail(c, LoadError::reset, "the server closed the connection");
    else if (errno != EAGAIN && errno != EINTR) fail(c, LoadError::read, std::strerror(errno));
  }

  // A read that moved nothing: the server closed, or an error; or nothing is there yet.
  void read_nothing(std::size_t c, ssize_t n) {
    if (n == 0) return fail(c, LoadError::reset, "the server closed the connection mid-reply");
    if (errno == EAGAIN || errno == EINTR) return;
    fail(c, errno == ECONNRESET ? LoadError::reset : LoadError::read, fmt::format("recv: {}", std::strerror(errno)));
  }

  // An HTTP response: its head read into the connection's buffer until the blank line (with
  // whatever body came along), checked (200, Content-Length the size asked for), then the
  // rest of the body. One request is outstanding at a time, so nothing past it can arrive.
  void read_http_reply(std::size_t c) {
    Client& client = clients_[c];
    for (;;) {
      if (!loop_->outstanding(c)) return check_idle(c);
      const std::span<std::byte> into =
          client.reply_bytes == 0
              ? std::span(client.http_head).subspan(client.received)
              : std::span(scratch_).first(std::min(scratch_.size(), client.reply_bytes - client.received));
      const ssize_t n = ::recv(client.fd.get(), into.data(), into.size(), 0);
      if (n <= 0) return read_nothing(c, n);
      client.received += static_cast<std::size_t>(n);
      if (client.reply_bytes == 0) {
        const http::ResponseHead head = http::parse_response_head(std::span(client.http_head).first(client.received));
        if (head.cut == http::ResponseHead::Cut::partial && client.received < client.http_head.size()) continue;
        if (head.cut != http::ResponseHead::Cut::complete)
          return fail(c, LoadError::protocol, fmt::format("not an HTTP/1.x response head with a Content-Length within {} B",
                                                          client.http_head.size()));
        if (head.status != 200 || head.content_length != plan_.payload_bytes)
          return fail(c, LoadError::protocol, fmt::format("HTTP {} with {} body bytes, expected 200 with {}", head.status,
                                                          head.content_length, plan_.payload_bytes));
        client.reply_bytes = head.head_bytes + head.content_length;
        if (client.received > client.reply_bytes) return fail(c, LoadError::protocol, "bytes past the end of the response");
      }
      if (client.received < client.reply_bytes) continue;
      loop_->completed(c, now_ns(), [this](std::size_t next, std::uint64_t) { return begin_request(next); });
      if (!clients_[c].fd) return;
    }
  }

  // Reads the reply, never past its end; checks it once whole.
  void read_reply(std::size_t c) {
    if (plan_.workload == Workload::http) return read_http_reply(c);
    Client& client = clients_[c];
    for (;;) {
      if (!loop_->outstanding(c)) return check_idle(c);
      iovec parts[2];
      int count = 0;
      const std::size_t head_bytes = std::min(client.reply_head.size(), client.reply_bytes);
      if (client.received < head_bytes) {
        parts[count++] = {client.reply_head.data() + client.received, head_bytes - client.received};
        if (client.reply_bytes > head_bytes)
          parts[count++] = {scratch_.data(), std::min(scratch_.size(), client.reply_bytes - head_bytes)};
      } else {
        parts[count++] = {scratch_.data(), std::min(scratch_.size(), client.reply_bytes - client.received)};
      }
      const ssize_t n = ::readv(client.fd.get(), parts, count);
      if (n <= 0) return read_nothing(c, n);
      const std::size_t before = client.received;
      client.received += static_cast<std::size_t>(n);
      if (plan_.workload == Workload::kv && before < kv::kHeaderBytes && client.received >= kv::kHeaderBytes &&
          !accept_kv_header(c))
        return;
      if (client.received < client.reply_bytes) continue;
      if (plan_.workload != Workload::kv && !check_echo(c)) return;
      const std::uint64_t now = now_ns();
      if (plan_.workload == Workload::churn) {
        close_client(c);
        if (loop_->in_window(now)) ++report_.connections_reached;
      }
      loop_->completed(c, now, [this](std::size_t next, std::uint64_t) { return begin_request(next); });
      if (!clients_[c].fd || plan_.workload == Workload::churn) return;
    }
  }

  bool accept_kv_header(std::size_t c) {
    Client& client = clients_[c];
    const kv::Header header = kv::read_header(client.reply_head);
    if (header.id != client.sequence) {
      fail(c, LoadError::protocol, fmt::format("kv reply for request {}, expected {}", header.id, client.sequence));
      return false;
    }
    const auto status = static_cast<kv::Status>(header.code);
    const std::size_t value = header.frame_bytes() >= kv::kHeaderBytes ? header.frame_bytes() - kv::kHeaderBytes : 0;
    const bool fits = client.get ? (status == kv::Status::not_found && value == 0) ||
                                       (status == kv::Status::ok && value == plan_.payload_bytes)
                                 : status == kv::Status::ok && value == 0;
    if (header.frame_bytes() < kv::kHeaderBytes || !fits) {
      fail(c, LoadError::protocol, fmt::format("kv reply status {} with {} value bytes to a {}", header.code, value,
                                               client.get ? "GET" : "SET"));
      return false;
    }
    client.reply_bytes = header.frame_bytes();
    return true;
  }

  bool check_echo(std::size_t c) {
    Client& client = clients_[c];
    if (plan_.frame == EchoFrame::sockperf) {
      // sockperf's server rewrites the flags of its reply; the sequence is what must match.
      std::uint64_t sequence;
      std::memcpy(&sequence, client.reply_head.data(), 8);
      sequence = __builtin_bswap64(sequence);
      if (sequence == client.sequence) return true;
      fail(c, LoadError::protocol, fmt::format("sockperf reply carries request {}, expected {}", sequence, client.sequence));
      return false;
    }
    std::uint64_t sequence, index;
    std::memcpy(&sequence, client.reply_head.data(), 8);
    std::memcpy(&index, client.reply_head.data() + 8, 8);
    if (sequence == client.sequence && index == c) return true;
    fail(c, LoadError::protocol,
         fmt::format("echo reply carries request {} of connection {}, expected {} of {}", sequence, index, client.sequence, c));
    return false;
  }

  void wait_and_handle(std::uint64_t wait_ns) {
    int n;
    if (wait_ns > kSpinNs) {
      const std::uint64_t sleep_ns = wait_ns - kSpinNs / 2;
      const timespec timeout{static_cast<time_t>(sleep_ns / 1'000'000'000), static_cast<long>(sleep_ns % 1'000'000'000)};
      n = ::epoll_pwait2(epoll_.get(), events_.data(), static_cast<int>(events_.size()), &timeout, nullptr);
    } else {
      n = ::epoll_wait(epoll_.get(), events_.data(), static_cast<int>(events_.size()), 0);
    }
    for (int i = 0; i < n; ++i) {
      const std::size_t c = events_[i].data.u64;
      Client& client = clients_[c];
      if (!client.fd) continue;
      if (client.connecting) {
        if (!finish_connect(c)) {
          lose_request(c);
          continue;
        }
        if (plan_.workload == Workload::churn) write_request(c);
        continue;
      }
      if ((events_[i].events & EPOLLOUT) && client.writing && !write_request(c)) continue;
      if (events_[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_reply(c);
    }
  }

  std::size_t outstanding() const {
    std::size_t count = 0;
    for (std::size_t c = 0; c < clients_.size(); ++c) count += loop_->outstanding(c) ? 1 : 0;
    return count;
  }

  void expire_timeouts(std::uint64_t now) {
    const std::uint64_t limit = static_cast<std::uint64_t>(plan_.timeout.count()) * 1'000'000;
    for (std::size_t c = 0; c < clients_.size(); ++c)
      if (loop_->outstanding(c) && (now == OpenLoop::kNever || now > loop_->outstanding_since_ns(c) + limit)) {
        fail(c, LoadError::timeout, fmt::format("no reply within {} ms", plan_.timeout.count()));
      }
  }

  const GeneratorPlan& plan_;
  GeneratorReport& report_;
  int phase_fd_;
  sys::Fd epoll_;
  std::vector<Client> clients_;
  std::vector<std::byte> body_;     // every request's payload after its header
  std::vector<std::byte> scratch_;  // reply bytes past the header: read, not kept
  std::vector<epoll_event> events_;
  OpenLoop* loop_ = nullptr;
  std::uint64_t reached_ = 0;
  std::uint64_t rng_ = 0x9e3779b97f4a7c15;
};

}  // namespace

void run_generator(const GeneratorPlan& plan, GeneratorReport& report, int phase_fd) {
  ::prctl(PR_SET_TIMERSLACK, 1UL);  // the default 50 us of slack would be the pacing error
  Generator(plan, report, phase_fd).run();
  report.cpu = sys::current_cpu();
}

}  // namespace ipcbench
