#!/usr/bin/python3
"""Side by side on one CPU: ipcbench, minimal hand-written loops, sockperf and qperf, interleaved.

Usage: scripts/compare_tools.py [--rounds 5] [--seconds 2] [--cpu 0] [--size 64] [-o results/tools]
                                [--ipcbench LABEL=PATH ...]
Needs a built tree (scripts/setup.sh) and the Debian packages sockperf and qperf. Writes a
markdown table of per-round medians and the raw outputs; every figure is a round-trip time.
Several --ipcbench binaries (two builds, before and after a change) run in the same rounds,
each compared with the best of the others that are not ipcbench.
"""
import argparse
import csv
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IPCBENCH = os.path.join(ROOT, "build/harness/app/ipcbench")
MINIMAL = os.path.join(ROOT, "build/harness/app/ipcbench_minimal")
MECHANISMS = ["tcp", "udp", "unix", "pipe"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(command, log):
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    log.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {result.returncode}: {result.stderr.strip()}")
    return result.stdout


def ipcbench_round(args, log, csv_path, mechanism, label, binary):
    run([binary, "run", "-t", mechanism, "-m", "process", "-p", "same", "--cpus", f"{args.cpu},{args.cpu}",
         "-s", str(args.size), "--duration", f"{args.seconds}s", "--repetitions", "1", "--table", "none", "--quiet",
         "--csv", csv_path], log)
    figures = {}
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            if row["row"] == "rep" and row["status"] == "ok":
                figures[(f"{label} p50", row["transport"])] = float(row["rtt_p50_ns"])
                figures[(f"{label} mean", row["transport"])] = 1e9 / float(row["msgs_per_s"])
    return figures


def minimal_round(args, log, mechanism):
    round_trips = str(int(args.seconds * 50_000))
    out = run([MINIMAL, mechanism, str(args.cpu), str(args.size), round_trips], log)
    fields = dict(kv.split("=") for kv in out.split()[1:])
    return {("minimal p50", mechanism): float(fields["p50_ns"]), ("minimal mean", mechanism): float(fields["mean_ns"])}


def with_server(command, log, body):
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        return body()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def sockperf_round(args, log, mechanism):
    figures = {}
    pin = ["taskset", "-c", str(args.cpu)]
    if mechanism in ("tcp", "udp"):
        flags = ["--tcp"] if mechanism == "tcp" else []
        port = str(free_port())
        out = with_server(pin + ["sockperf", "server", "-i", "127.0.0.1", "-p", port] + flags, log,
                          lambda: run(pin + ["sockperf", "ping-pong", "-i", "127.0.0.1", "-p", port, "-m", str(args.size),
                                             "-t", str(max(1, round(args.seconds))), "--full-rtt"] + flags, log))
        p50 = re.search(r"percentile 50\.000 =\s+([0-9.]+)", out)
        avg = re.search(r"avg-rtt=([0-9.]+)", out)
        if p50:
            figures[("sockperf p50", mechanism)] = float(p50.group(1)) * 1000
        if avg:
            figures[("sockperf mean", mechanism)] = float(avg.group(1)) * 1000
    return figures


def qperf_round(args, log, mechanism):
    if mechanism not in ("tcp", "udp"):
        return {}
    pin = ["taskset", "-c", str(args.cpu)]
    port = str(free_port())
    out = with_server(pin + ["qperf", "-lp", port], log,
                      lambda: run(pin + ["qperf", "-lp", port, "127.0.0.1", "-m", str(args.size), "-t", str(max(1, round(args.seconds))),
                                         f"{mechanism}_lat"], log))
    figures = {}
    # qperf prints one-way latency (half the round trip) per test.
    for mechanism, value, unit in re.findall(r"(tcp|udp)_lat:\s+latency\s+=\s+([0-9.]+)\s+(ns|us|ms)", out):
        scale = {"ns": 1, "us": 1e3, "ms": 1e6}[unit]
        figures[("qperf mean", mechanism)] = 2 * float(value) * scale
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2)
    parser.add_argument("--cpu", type=int, default=0)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("-o", "--out", default=os.path.join(ROOT, "results/tools"))
    parser.add_argument("--ipcbench", action="append", default=[], metavar="LABEL=PATH",
                        help="an ipcbench binary to measure (default: ipcbench=build/harness/app/ipcbench)")
    args = parser.parse_args()
    builds = [tuple(b.split("=", 1)) for b in args.ipcbench] or [("ipcbench", IPCBENCH)]
    if any(len(b) != 2 or not b[0].startswith("ipcbench") for b in builds):
        sys.exit("compare_tools.py: error: --ipcbench expects LABEL=PATH with a LABEL starting 'ipcbench'")
    for tool in ("sockperf", "qperf", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"compare_tools.py: error: {tool} is not installed (apt-get install {tool})")
    for binary in [MINIMAL, *(path for _, path in builds)]:
        if not os.access(binary, os.X_OK):
            sys.exit(f"compare_tools.py: error: {binary} is missing: run scripts/setup.sh first")
    os.makedirs(args.out, exist_ok=True)

    samples = {}
    with open(os.path.join(args.out, "raw.log"), "w") as log:
        for r in range(1, args.rounds + 1):
            # Every tool back to back for one mechanism, so that a phase of the host hits them alike.
            for mechanism in MECHANISMS:
                rounds = [ipcbench_round(args, log, os.path.join(args.out, f"{label}-{mechanism}-round{r}.csv"), mechanism,
                                         label, path) for label, path in builds]
                for figures in (*rounds, minimal_round(args, log, mechanism),
                                sockperf_round(args, log, mechanism), qperf_round(args, log, mechanism)):
                    for key, value in figures.items():
                        samples.setdefault(key, []).append(value)
            print(f"round {r}/{args.rounds} done", file=sys.stderr)

    tools = sorted({tool for tool, _ in samples}, key=lambda t: (t.split()[1], t))
    lines = [f"Round-trip time in ns, median of {args.rounds} interleaved rounds of {args.seconds:g} s, "
             f"{args.size} B each way, both sides pinned to CPU {args.cpu}.", "",
             "| mechanism | " + " | ".join(tools) + " | " +
             " | ".join(f"{label} {kind} / best other {kind}" for label, _ in builds for kind in ("p50", "mean")) + " |",
             "|---|" + "---|" * (len(tools) + 2 * len(builds))]
    for mechanism in MECHANISMS:
        median = {t: statistics.median(samples[(t, mechanism)]) for t in tools if (t, mechanism) in samples}
        cells = [f"{median[t]:.0f}" if t in median else "-" for t in tools]

        def ratio(label, kind):
            ours = median.get(f"{label} {kind}")
            others = [v for t, v in median.items() if t.endswith(kind) and not t.startswith("ipcbench")]
            return f"{ours / min(others):.3f}" if ours and others else "-"

        ratios = [ratio(label, kind) for label, _ in builds for kind in ("p50", "mean")]
        lines.append(f"| {mechanism} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    table = "\n".join(lines) + "\n"
    with open(os.path.join(args.out, "comparison.md"), "w") as f:
        f.write(table)
    print(table)


if __name__ == "__main__":
    main()
