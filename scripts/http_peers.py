#!/usr/bin/python3
"""The http workload against real peers: wrk drives every architecture twice (seed 001), our generator drives nginx and them, wrk and our generator side by side.

Usage: scripts/http_peers.py [--experiments seed001,nginx,generators] [-a ARCH,...] [--size 64]
                             [--connections 500] [--seconds 10] [--rates 10K,50K,max]
                             [--server-cpu 1] [--client-cpu 0] [--bin PATH] -o DIR

seed001     for each architecture: `ipcbench serve --arch A -w http` pinned to the server CPU,
            then `wrk -t1 -cN -dS --latency` twice against it without a restart (seed 001 ran
            -t12 -c500 -d10 and saw the second run fall from 3.6M to 5.9K req/s): both runs'
            req/s and latency distribution side by side, and the second over the first.
nginx       Debian's nginx, started on loopback with a generated config (one worker pinned to
            the server CPU, keep-alive without a request limit, `return 200` of the same body),
            and each architecture, driven by `ipcbench load -w http` at the same offered rates:
            achieved rate, corrected p50/p99 and uncorrected p99.
generators  wrk and `ipcbench load --rate max` (closed loop, the same connections) against the
            same nginx, interleaved: req/s and percentiles should agree within the noise; then
            ipcbench open loop at 90% of wrk's rate, where the corrected p99 shows what a closed
            loop's coordinated omission hides.
Every server and client is pinned (taskset); nothing else should run. Writes DIR/comparison.md
and DIR/raw.log; needs the Debian packages wrk and nginx-light (or nginx).
"""
import csv
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ipcbench_csv import OneLineParser, built_binary, fail, free_port, run_script

PROG = "http_peers.py"
EXPERIMENTS = ("seed001", "nginx", "generators")
WRK_PERCENTILES = ("50", "75", "90", "99")
BODY_LINE = "ipcbench static response\n"  # the body our servers send (servers/http.cpp), so that nginx sends the same


def parse_args(argv):
    parser = OneLineParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", default=",".join(EXPERIMENTS))
    parser.add_argument("-a", "--architectures", default="all", help="the server architectures, or all (ipcbench list)")
    parser.add_argument("--size", type=int, default=64, help="the response body in bytes")
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10, help="of each wrk run and each load cell")
    parser.add_argument("--rates", default="10K,50K,max", help="the nginx experiment's offered rates")
    parser.add_argument("--rounds", type=int, default=3, help="generators: interleaved rounds")
    parser.add_argument("--server-cpu", default="1")
    parser.add_argument("--client-cpu", default="0")
    parser.add_argument("--bin", default=built_binary("ipcbench"))
    parser.add_argument("-o", "--out", required=True, metavar="DIR")
    args = parser.parse_args(argv)
    args.experiments = args.experiments.split(",")
    for name in args.experiments:
        if name not in EXPERIMENTS:
            parser.error(f"--experiments '{name}' is not one of {', '.join(EXPERIMENTS)}")
    known = architectures(args.bin)
    args.architectures = known if args.architectures == "all" else args.architectures.split(",")
    for name in args.architectures:
        if name not in known:
            parser.error(f"--architectures '{name}' is not one of {', '.join(known)}")
    if not 1 <= args.size <= 1 << 20:
        parser.error(f"--size {args.size} must be from 1 to 1048576 bytes")
    for tool in ("wrk", "taskset") + (("nginx",) if {"nginx", "generators"} & set(args.experiments) else ()):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            parser.error(f"{tool} is not installed (apt-get install {'nginx-light' if tool == 'nginx' else tool})")
    return args


def architectures(binary):
    """The server architectures, as `ipcbench list` names them: the binary's list is the one list."""
    try:
        text = subprocess.run([binary, "list"], capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as error:
        raise SystemExit(f"{PROG}: error: {binary} list: {error}") from error
    section = text.split("Server architectures", 1)[1].split("\n\n", 1)[0]
    return [line.split("|")[0].strip() for line in section.splitlines()[1:] if "|" in line]


def body(size):
    return (BODY_LINE * (size // len(BODY_LINE) + 1))[:size]


def run(command, log, timeout):
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    log.write("$ " + " ".join(command) + "\n" + result.stdout + result.stderr + "\n")
    log.flush()
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])}... exited with {result.returncode}: {result.stderr.strip()[-300:]}")
    return result.stdout


class Server:
    """A server process, stopped with SIGTERM (then SIGKILL) when the block ends."""

    def __init__(self, command, port):
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.port = port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def ipcbench_server(args, architecture):
    server = Server(["taskset", "-c", args.server_cpu, args.bin, "serve", "--arch", architecture, "-w", "http",
                     "-s", str(args.size), "--listen", "127.0.0.1:0", "--cpus", args.server_cpu], 0)
    line = server.process.stdout.readline()
    found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    if not found:
        server.__exit__()
        raise RuntimeError(f"ipcbench serve --arch {architecture} did not start: {line.strip()} {server.process.stderr.read()[-300:]}")
    server.port = int(found.group(1))
    return server


def nginx_server(args, directory):
    """nginx with one worker on the server CPU, serving the same body on every keep-alive request."""
    port = free_port()
    text = body(args.size).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    config = directory / "nginx.conf"
    config.write_text(f"""daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections {max(1024, 2 * args.connections)}; }}
http {{
  access_log off;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
  client_body_temp_path {directory}/body;
  proxy_temp_path {directory}/proxy;
  fastcgi_temp_path {directory}/fastcgi;
  uwsgi_temp_path {directory}/uwsgi;
  scgi_temp_path {directory}/scgi;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    default_type text/plain;
    location / {{ return 200 "{text}"; }}
  }}
}}
""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    server = Server(["taskset", "-c", args.server_cpu, nginx, "-p", str(directory), "-c", str(config)], port)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return server
        if server.process.poll() is not None:
            raise RuntimeError(f"nginx did not start: {server.process.stderr.read()[-300:]}")
        time.sleep(0.05)
    server.__exit__()
    raise RuntimeError("nginx did not listen within 5 s")


def wrk(args, port, log):
    out = run(["taskset", "-c", args.client_cpu, "wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
               f"http://127.0.0.1:{port}/"], log, args.seconds + 60)
    figures = {"req/s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for p in WRK_PERCENTILES:
        found = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        figures[f"p{p}"] = float(found.group(1)) * {"us": 1e3, "ms": 1e6, "s": 1e9}[found.group(2)] if found else float("nan")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["errors"] = (sum(int(g) for g in errors.groups()) if errors else 0) + (int(non_2xx.group(1)) if non_2xx else 0)
    return figures


def ipcbench_load(args, target, rate, csv_path, log, architecture=None):
    where = ["-a", architecture, "--server-cpus", args.server_cpu] if architecture else ["--connect", f"127.0.0.1:{target}"]
    # ipcbench pins its own generator (and the server it starts): no taskset around it.
    run([args.bin, "load", *where, "-w", "http", "-s", str(args.size),
         "-c", str(args.connections), "--rate", rate, "--duration", f"{args.seconds}s", "--warmup", "1s",
         "--generator-cpus", args.client_cpu, "--table", "none", "--quiet", "--csv", str(csv_path)], log, args.seconds + 120)
    with open(csv_path, newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["row"] == "rep")
    if row["status"] != "ok":
        raise RuntimeError(f"ipcbench load against {architecture or 'nginx'} at {rate} failed: {row['reason']}")
    value = lambda name: float(row[name]) if row[name] else float("nan")  # noqa: E731
    return {"req/s": value("achieved_rps"), "p50": value("latency_p50_ns"), "p90": value("latency_p90_ns"),
            "p99": value("latency_p99_ns"), "uncorrected p50": value("uncorrected_p50_ns"),
            "uncorrected p99": value("uncorrected_p99_ns")}


def us(ns):
    return f"{ns / 1000:.0f}" if ns == ns else "-"


def seed001(args, out, log):
    lines = [f"### Seed 001: wrk -t1 -c{args.connections} -d{args.seconds}s --latency, twice, no restart",
             f"Server on CPU {args.server_cpu}, wrk on CPU {args.client_cpu}, {args.size} B bodies; latency in us.", "",
             "| architecture | run 1 req/s | p50 | p75 | p90 | p99 | run 2 req/s | p50 | p75 | p90 | p99 | run 2 / run 1 | errors |",
             "|---|" + "---|" * 12]
    for architecture in args.architectures:
        with ipcbench_server(args, architecture) as server:
            first, second = wrk(args, server.port, log), wrk(args, server.port, log)
        cells = lambda f: [f"{f['req/s']:.0f}"] + [us(f[f"p{p}"]) for p in WRK_PERCENTILES]  # noqa: E731
        lines.append(f"| {architecture} | " + " | ".join(cells(first) + cells(second)) +
                     f" | {second['req/s'] / first['req/s']:.3f} | {first['errors'] + second['errors']} |")
        print(f"seed001: {architecture} done", file=sys.stderr)
    return lines


def nginx_reference(args, out, log, directory):
    lines = [f"### ipcbench load -w http -c {args.connections} against nginx and every architecture",
             f"Server on CPU {args.server_cpu}, generator on CPU {args.client_cpu}, {args.seconds} s windows; latency in us "
             "(corrected: from the due time; uncorrected: from the send).", "",
             "| server | offered | achieved req/s | p50 | p99 | uncorrected p99 |", "|---|---|---|---|---|---|"]
    rates = args.rates.split(",")
    with nginx_server(args, directory) as nginx:
        for rate in rates:
            f = ipcbench_load(args, nginx.port, rate, out / f"nginx-{rate}.csv", log)
            lines.append(f"| nginx | {rate} | {f['req/s']:.0f} | {us(f['p50'])} | {us(f['p99'])} | {us(f['uncorrected p99'])} |")
    for architecture in args.architectures:
        for rate in rates:
            f = ipcbench_load(args, None, rate, out / f"{architecture}-{rate}.csv", log, architecture)
            lines.append(f"| {architecture} | {rate} | {f['req/s']:.0f} | {us(f['p50'])} | {us(f['p99'])} | "
                         f"{us(f['uncorrected p99'])} |")
        print(f"nginx: {architecture} done", file=sys.stderr)
    return lines


def generators(args, out, log, directory):
    samples = {"wrk": [], "ipcbench closed": [], "ipcbench open": []}
    with nginx_server(args, directory) as nginx:
        for index in range(1, args.rounds + 1):
            order = ("wrk", "ipcbench") if index % 2 else ("ipcbench", "wrk")
            for tool in order:
                if tool == "wrk":
                    samples["wrk"].append(wrk(args, nginx.port, log))
                else:
                    samples["ipcbench closed"].append(ipcbench_load(args, nginx.port, "max", out / f"closed-{index}.csv", log))
            rate = str(int(0.9 * samples["wrk"][-1]["req/s"]))
            samples["ipcbench open"].append(ipcbench_load(args, nginx.port, rate, out / f"open-{index}.csv", log))
            print(f"generators: round {index}/{args.rounds} done", file=sys.stderr)
    median = lambda tool, key: statistics.median(s[key] for s in samples[tool])  # noqa: E731
    lines = [f"### wrk and ipcbench against the same nginx, {args.connections} connections, {args.rounds} interleaved rounds",
             "Medians of the rounds; latency in us. wrk times each request from its actual send, as a closed loop must.", "",
             "| client | req/s | p50 | p90 | p99 |", "|---|---|---|---|---|",
             f"| wrk -t1 (closed loop) | {median('wrk', 'req/s'):.0f} | {us(median('wrk', 'p50'))} | {us(median('wrk', 'p90'))} | "
             f"{us(median('wrk', 'p99'))} |",
             f"| ipcbench --rate max (closed loop) | {median('ipcbench closed', 'req/s'):.0f} | {us(median('ipcbench closed', 'p50'))} | "
             f"{us(median('ipcbench closed', 'p90'))} | {us(median('ipcbench closed', 'p99'))} |",
             f"| ipcbench at 90% of wrk's rate, corrected | {median('ipcbench open', 'req/s'):.0f} | "
             f"{us(median('ipcbench open', 'p50'))} | {us(median('ipcbench open', 'p90'))} | {us(median('ipcbench open', 'p99'))} |",
             f"| the same, uncorrected | | {us(median('ipcbench open', 'uncorrected p50'))} | | "
             f"{us(median('ipcbench open', 'uncorrected p99'))} |",
             "", f"wrk / ipcbench closed loop, req/s: {median('wrk', 'req/s') / median('ipcbench closed', 'req/s'):.3f}; "
             f"p50: {median('wrk', 'p50') / median('ipcbench closed', 'p50'):.3f}."]
    return lines


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sections = [f"# HTTP against real peers ({', '.join(args.experiments)})", "",
                "Command: scripts/http_peers.py " + " ".join(argv if argv is not None else sys.argv[1:]), ""]
    try:
        with open(out / "raw.log", "w") as log, tempfile.TemporaryDirectory(prefix="ipcbench-nginx-") as temp:
            directory = Path(temp)
            for experiment in args.experiments:
                if experiment == "seed001":
                    sections += seed001(args, out, log)
                elif experiment == "nginx":
                    sections += nginx_reference(args, out, log, directory)
                else:
                    sections += generators(args, out, log, directory)
                sections.append("")
    except (RuntimeError, OSError, subprocess.TimeoutExpired, AttributeError, StopIteration) as error:
        return fail(PROG, error)
    text = "\n".join(sections)
    (out / "comparison.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    run_script(main)
