#!/usr/bin/python3
"""Side by side: ipcbench, minimal hand-written loops, sockperf and qperf, interleaved.

Usage: scripts/compare_tools.py [--rounds 5] [--seconds 2] [--cpus 0,1] [--size 64]
                                [--groups kernel,kernel-cross,busy-poll,spin,copy]
                                [--kernel-transports tcp,pipe,...]
                                [-o results/tools] [--ipcbench LABEL=PATH ...]
Groups of cells:
  kernel  tcp, udp, unix, pipe, posix-mq, boost-mq, eventfd, shm-futex, io_uring, zeromq-ipc,
          zeromq-tcp, zeromq-inproc (or --kernel-transports) at --size, process mode (zeromq-inproc: thread
          mode, all it has), both sides on the first CPU (ipcbench, ipcbench_minimal;
          sockperf and qperf for tcp and udp)
  kernel-cross  the same with the client on the first CPU and the server on the second
  busy-poll  tcp, udp, unix and pipe with --wait busy-poll, process mode, one side on each CPU
          (ipcbench and ipcbench_minimal's loops over the same descriptors made non-blocking)
  spin    shm-spin at 8 B and 64 B, thread and process mode, one side on each CPU (ipcbench and
          ipcbench_minimal's loop with shm-spin's layout; the floor ipcbench measured beside it)
  copy    memcpy at 8 B and 64 B, on the first CPU (ipcbench and ipcbench_minimal's copy loop)
Needs a built tree (scripts/setup.sh) or an installed ipcbench and, for the kernel group, the
Debian packages sockperf and qperf. Writes a markdown table of per-round medians and the raw
outputs; every figure is a round-trip time. The last column of each build is the median over
the rounds of its mean over the best other tool's mean in the same round. A second table holds
each ipcbench build's p50 against its own throughput pass's mean, less what it says the latency
pass costs (latency_timer_ns), next to its clock's step (latency_timer_step_ns). Several
--ipcbench binaries (two builds, before and
after a change) run in the same rounds, each compared with the best of the tools that are not
ipcbench.
"""
import argparse
import csv
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from ipcbench_csv import built_binary, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
IPCBENCH = built_binary("ipcbench")
MINIMAL = built_binary("ipcbench_minimal")
# Beside the committed results in a checkout; installed, under the current directory.
OUT = os.path.join(ROOT, "results/tools") if os.path.isdir(os.path.join(ROOT, "results")) else "results/tools"
GROUPS = ("kernel", "kernel-cross", "busy-poll", "spin", "copy")
KERNEL_MECHANISMS = ["tcp", "udp", "unix", "pipe", "posix-mq", "boost-mq", "eventfd", "shm-futex", "io_uring",
                     "zeromq-ipc", "zeromq-tcp", "zeromq-inproc"]
THREADS_ONLY = {"zeromq-inproc"}
BUSY_POLLED = ["tcp", "udp", "unix", "pipe"]
# What ipcbench says its latency pass costs, kept for the second table, not compared with the tools.
TIMER_COLUMNS = {"timer": "latency_timer_ns", "step": "latency_timer_step_ns"}
# Round trips per second of a pass, roughly, so that ipcbench_minimal's passes last about --seconds.
MINIMAL_RATE = {"kernel": 150_000, "kernel-cross": 50_000, "busy-poll": 200_000, "spin": 3_000_000, "copy": 100_000_000}


@dataclass(frozen=True)
class Cell:
    group: str
    transport: str  # ipcbench's name
    mode: str
    size: int
    cpus: str  # "A,A" (one CPU) or "A,B"
    wait: str = "own"  # ipcbench's --wait

    @property
    def label(self):
        where = "1 CPU" if self.cpus.split(",")[0] == self.cpus.split(",")[1] else "2 CPUs"
        polled = " busy-poll" if self.wait == "busy-poll" else ""
        return f"{self.transport}{polled} {self.size} B {self.mode} {where}"

    @property
    def minimal_mechanism(self):
        if self.wait == "busy-poll":
            return f"{self.transport}-busy-poll"
        return {"shm-spin": "shm"}.get(self.transport, self.transport)


def cells_of(args):
    first, second = args.cpus.split(",")
    one, two = f"{first},{first}", f"{first},{second}"
    cells = []
    for group, cpus in (("kernel", one), ("kernel-cross", two)):
        if group in args.groups:
            cells += [Cell(group, m, "thread" if m in THREADS_ONLY else "process", args.size, cpus)
                      for m in args.kernel_transports]
    if "busy-poll" in args.groups:
        cells += [Cell("busy-poll", m, "process", args.size, two, "busy-poll") for m in BUSY_POLLED]
    if "spin" in args.groups:
        cells += [Cell("spin", "shm-spin", mode, size, two) for size in (8, 64) for mode in ("thread", "process")]
    if "copy" in args.groups:
        cells += [Cell("copy", "memcpy", "thread", size, one) for size in (8, 64)]
    return cells


def run(command, log):
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    log.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {result.returncode}: {result.stderr.strip()}")
    return result.stdout


def ipcbench_round(args, log, csv_path, cell, label, binary):
    placement = "same" if cell.cpus.split(",")[0] == cell.cpus.split(",")[1] else "cross"
    run([binary, "run", "-t", cell.transport, "-m", cell.mode, "-p", placement, "--cpus", cell.cpus,
         "-s", str(cell.size), "--wait", cell.wait, "--duration", f"{args.seconds}s", "--repetitions", "1",
         "--table", "none", "--quiet", "--csv", csv_path], log)
    figures = {}
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            if row["row"] == "rep" and row["status"] == "ok":
                figures[f"{label} p50"] = float(row["rtt_p50_ns"])
                figures[f"{label} mean"] = 1e9 / float(row["msgs_per_s"])
                if row.get("floor_rtt_ns"):
                    figures[f"{label} floor"] = float(row["floor_rtt_ns"])
                for kind, column in TIMER_COLUMNS.items():
                    if row.get(column):
                        figures[f"{label} {kind}"] = float(row[column])
    return figures


def minimal_round(args, log, cell):
    round_trips = str(int(args.seconds * MINIMAL_RATE[cell.group]))
    first, second = cell.cpus.split(",")
    cpus = first if first == second else cell.cpus
    out = run([MINIMAL, cell.minimal_mechanism, cpus, str(cell.size), round_trips, cell.mode], log)
    fields = dict(kv.split("=") for kv in out.split()[1:])
    return {"minimal p50": float(fields["p50_ns"]), "minimal mean": float(fields["mean_ns"])}


def with_server(command, body):
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


def sockperf_round(args, log, cell):
    if cell.transport not in ("tcp", "udp") or cell.wait != "own":
        return {}
    client_cpu, server_cpu = cell.cpus.split(",")
    flags = ["--tcp"] if cell.transport == "tcp" else []
    port = str(free_port())
    out = with_server(["taskset", "-c", server_cpu, "sockperf", "server", "-i", "127.0.0.1", "-p", port] + flags,
                      lambda: run(["taskset", "-c", client_cpu, "sockperf", "ping-pong", "-i", "127.0.0.1", "-p", port, "-m", str(cell.size),
                                         "-t", str(max(1, round(args.seconds))), "--full-rtt"] + flags, log))
    figures = {}
    p50 = re.search(r"percentile 50\.000 =\s+([0-9.]+)", out)
    avg = re.search(r"avg-rtt=([0-9.]+)", out)
    if p50:
        figures["sockperf p50"] = float(p50.group(1)) * 1000
    if avg:
        figures["sockperf mean"] = float(avg.group(1)) * 1000
    return figures


def qperf_round(args, log, cell):
    if cell.transport not in ("tcp", "udp") or cell.wait != "own":
        return {}
    client_cpu, server_cpu = cell.cpus.split(",")
    port = str(free_port())
    out = with_server(["taskset", "-c", server_cpu, "qperf", "-lp", port],
                      lambda: run(["taskset", "-c", client_cpu, "qperf", "-lp", port, "127.0.0.1", "-m", str(cell.size),
                                         "-t", str(max(1, round(args.seconds))), f"{cell.transport}_lat"], log))
    # qperf prints one-way latency (half the round trip).
    found = re.search(r"_lat:\s+latency\s+=\s+([0-9.]+)\s+(ns|us|ms)", out)
    return {"qperf mean": 2 * float(found.group(1)) * {"ns": 1, "us": 1e3, "ms": 1e6}[found.group(2)]} if found else {}


def table(args, builds, cells, samples):
    tools = sorted({tool for (tool, _) in samples if tool.split()[-1] not in TIMER_COLUMNS},
                   key=lambda t: (t.split()[1], t))
    lines = [f"Round-trip time in ns, median of {args.rounds} interleaved rounds of {args.seconds:g} s; "
             f"CPUs {args.cpus} (1 CPU: both sides on the first).", "",
             "| cell | " + " | ".join(tools) + " | " +
             " | ".join(f"{label} {heading}" for label, _ in builds for heading in
                        ("p50 / best other p50", "mean / best other mean", "mean / best other mean, paired by round")) +
             " |",
             "|---|" + "---|" * (len(tools) + 3 * len(builds))]
    for cell in cells:
        median = {t: statistics.median(samples[(t, cell)].values()) for t in tools if (t, cell) in samples}
        figures = [f"{median[t]:.1f}" if t in median and median[t] < 100 else f"{median[t]:.0f}" if t in median else "-"
                   for t in tools]

        def ratio(label, kind):
            ours = median.get(f"{label} {kind}")
            others = [v for t, v in median.items() if t.endswith(f" {kind}") and not t.startswith("ipcbench")]
            return f"{ours / min(others):.3f}" if ours and others else "-"

        def paired_ratio(label):
            # Round by round: the tools of one round ran back to back, so a phase of the host that
            # lasts a round hits them alike, while the medians above may come from different phases.
            ours = samples.get((f"{label} mean", cell), {})
            others = [samples[(t, cell)] for t in tools
                      if t.endswith(" mean") and not t.startswith("ipcbench") and (t, cell) in samples]
            rounds = [r for r in ours if others and all(r in o for o in others)]
            if not rounds:
                return "-"
            return f"{statistics.median(ours[r] / min(o[r] for o in others) for r in rounds):.3f}"

        ratios = [r for label, _ in builds
                  for r in (ratio(label, "p50"), ratio(label, "mean"), paired_ratio(label))]
        lines.append(f"| {cell.label} | " + " | ".join(figures) + " | " + " | ".join(ratios) + " |")
    return "\n".join(lines) + "\n"


def latency_pass_table(builds, cells, samples):
    """Each build's p50 against its throughput pass's mean in the same repetition: the p50 holds one
    timestamp, so it may stand latency_timer_ns above the mean, and one clock step more for rounding."""
    lines = ["", "The latency pass beside the throughput pass of the same repetition (medians over the rounds): "
             "excess = p50 - mean - timer; an excess of at most one clock step means the pass cost no more "
             "than it says.", "",
             "| cell | build | mean | p50 | timer | step | excess | excess <= step in rounds |", "|---|---|---|---|---|---|---|---|"]
    for cell in cells:
        for label, _ in builds:
            mean, p50, timer = (samples.get((f"{label} {kind}", cell), {}) for kind in ("mean", "p50", "timer"))
            # A build from before latency_timer_step_ns was measured: its excess is held to zero.
            step = samples.get((f"{label} step", cell), {})
            rounds = [r for r in mean if r in p50 and r in timer and (r in step or not step)]
            if not rounds:
                continue
            excess = [p50[r] - mean[r] - timer[r] for r in rounds]
            within = sum(e <= step.get(r, 0.0) for e, r in zip(excess, rounds))
            shown = [statistics.median(column[r] for r in rounds) for column in (mean, p50, timer)]
            step_shown = f"{statistics.median(step[r] for r in rounds):.1f}" if step else "-"
            lines.append(f"| {cell.label} | {label} | " + " | ".join(f"{v:.1f}" for v in shown) +
                         f" | {step_shown} | {statistics.median(excess):.1f} | {within}/{len(rounds)} |")
    return "\n".join(lines) + "\n" if len(lines) > 4 else ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2)
    parser.add_argument("--cpus", default="0,1", help="A,B: one-CPU cells run on A, two-CPU cells on A and B")
    parser.add_argument("--size", type=int, default=64, help="payload of the kernel group's cells")
    parser.add_argument("--groups", default=",".join(GROUPS))
    parser.add_argument("--kernel-transports", default=",".join(KERNEL_MECHANISMS),
                        help="the transports of the kernel groups")
    parser.add_argument("-o", "--out", default=OUT)
    parser.add_argument("--ipcbench", action="append", default=[], metavar="LABEL=PATH",
                        help="an ipcbench binary to measure (default: build/harness/app/ipcbench, else ipcbench on PATH)")
    args = parser.parse_args()
    args.groups = args.groups.split(",")
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        sys.exit(f"compare_tools.py: error: --groups {unknown[0]!r} is not one of {', '.join(GROUPS)}")
    args.kernel_transports = args.kernel_transports.split(",")
    unknown = [t for t in args.kernel_transports if t not in KERNEL_MECHANISMS]
    if unknown:
        sys.exit(f"compare_tools.py: error: --kernel-transports {unknown[0]!r} is not one of {', '.join(KERNEL_MECHANISMS)}")
    if not re.fullmatch(r"\d+,\d+", args.cpus) or len(set(args.cpus.split(","))) != 2:
        sys.exit(f"compare_tools.py: error: --cpus {args.cpus!r} must be two different CPUs, A,B")
    builds = [tuple(b.split("=", 1)) for b in args.ipcbench] or [("ipcbench", IPCBENCH)]
    if any(len(b) != 2 or not b[0].startswith("ipcbench") for b in builds):
        sys.exit("compare_tools.py: error: --ipcbench expects LABEL=PATH with a LABEL starting 'ipcbench'")
    kernel_groups = {"kernel", "kernel-cross"} & set(args.groups)
    for tool in ("sockperf", "qperf", "taskset") if kernel_groups else ():
        if not shutil.which(tool):
            sys.exit(f"compare_tools.py: error: {tool} is not installed (apt-get install {tool})")
    for binary in [MINIMAL, *(path for _, path in builds)]:
        if not os.access(binary, os.X_OK):
            sys.exit(f"compare_tools.py: error: {binary} is missing: run scripts/setup.sh first")
    os.makedirs(args.out, exist_ok=True)

    cells = cells_of(args)
    samples = {}
    with open(os.path.join(args.out, "raw.log"), "w") as log:
        for r in range(1, args.rounds + 1):
            # Every tool back to back for one cell, so that a phase of the host hits them alike.
            for cell in cells:
                name = cell.label.replace(" ", "-")
                rounds = [ipcbench_round(args, log, os.path.join(args.out, f"{label}-{name}-round{r}.csv"), cell, label, path)
                          for label, path in builds]
                for figures in (*rounds, minimal_round(args, log, cell), sockperf_round(args, log, cell),
                                qperf_round(args, log, cell)):
                    for tool, value in figures.items():
                        samples.setdefault((tool, cell), {})[r] = value
            print(f"round {r}/{args.rounds} done", file=sys.stderr)

    text = table(args, builds, cells, samples) + latency_pass_table(builds, cells, samples)
    with open(os.path.join(args.out, "comparison.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
