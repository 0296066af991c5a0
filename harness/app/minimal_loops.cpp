// ipcbench_minimal: the smallest blocking ping-pong loops we can write, with no harness code, as a yardstick for ipcbench.
//
// Usage: ipcbench_minimal MECHANISM CPU SIZE ROUND_TRIPS   (MECHANISM: tcp, udp, unix, pipe)
// Prints: MECHANISM p50_ns=... mean_ns=...
// Both sides are pinned to CPU; the child echoes, the parent times every round trip with
// steady_clock. Deliberately self-contained: if ipcbench agrees with this, ipcbench adds
// nothing of its own.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) die("sched_setaffinity");
}

void read_all(int fd, char* p, size_t n) {
  while (n > 0) {
    const ssize_t r = read(fd, p, n);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      std::exit(r == 0 ? 0 : 1);
    }
    p += r;
    n -= static_cast<size_t>(r);
  }
}

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w <= 0) {
      if (w < 0 && errno == EINTR) continue;
      die("write");
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

struct Ends {
  int client_in, client_out, server_in, server_out;
};

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

uint16_t bound_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

Ends make_tcp() {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(0);
  if (bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(listener, 1) != 0) die("listen");
  const int client = socket(AF_INET, SOCK_STREAM, 0);
  a = loopback(bound_port(listener));
  if (connect(client, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) die("connect");
  const int server = accept(listener, nullptr, nullptr);
  close(listener);
  const int one = 1;
  setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return {client, client, server, server};
}

Ends make_udp() {
  const int c = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a = loopback(0);
  bind(c, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  sockaddr_in to_s = loopback(bound_port(s)), to_c = loopback(bound_port(c));
  if (connect(c, reinterpret_cast<sockaddr*>(&to_s), sizeof(to_s)) != 0 ||
      connect(s, reinterpret_cast<sockaddr*>(&to_c), sizeof(to_c)) != 0)
    die("connect udp");
  return {c, c, s, s};
}

Ends make_unix() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) die("socketpair");
  return {fds[0], fds[0], fds[1], fds[1]};
}

Ends make_pipe() {
  int to_server[2], to_client[2];
  if (pipe(to_server) != 0 || pipe(to_client) != 0) die("pipe");
  return {to_client[0], to_server[1], to_server[0], to_client[1]};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: ipcbench_minimal tcp|udp|unix|pipe CPU SIZE ROUND_TRIPS\n");
    return 2;
  }
  const std::string mechanism = argv[1];
  const int cpu = std::atoi(argv[2]);
  const size_t size = std::strtoul(argv[3], nullptr, 10);
  const long round_trips = std::atol(argv[4]);
  const bool datagram = mechanism == "udp";
  const Ends ends = mechanism == "tcp" ? make_tcp() : datagram ? make_udp() : mechanism == "unix" ? make_unix() : make_pipe();
  std::vector<char> buffer(size, 'x');

  const pid_t child = fork();
  if (child == 0) {
    pin(cpu);
    for (;;) {
      if (datagram) {
        if (recv(ends.server_in, buffer.data(), size, 0) != static_cast<ssize_t>(size)) return 0;
        send(ends.server_out, buffer.data(), size, 0);
      } else {
        read_all(ends.server_in, buffer.data(), size);
        write_all(ends.server_out, buffer.data(), size);
      }
    }
  }
  pin(cpu);
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(round_trips));
  const auto round_trip = [&] {
    if (datagram) {
      send(ends.client_out, buffer.data(), size, 0);
      recv(ends.client_in, buffer.data(), size, 0);
    } else {
      write_all(ends.client_out, buffer.data(), size);
      read_all(ends.client_in, buffer.data(), size);
    }
  };
  for (int i = 0; i < 1000; ++i) round_trip();
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < round_trips; ++i) {
    const auto before = std::chrono::steady_clock::now();
    round_trip();
    samples.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - before).count());
  }
  const double mean = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / static_cast<double>(round_trips);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  std::nth_element(samples.begin(), samples.begin() + round_trips / 2, samples.end());
  std::printf("%s p50_ns=%.0f mean_ns=%.0f\n", mechanism.c_str(), samples[static_cast<size_t>(round_trips / 2)], mean);
  return 0;
}
