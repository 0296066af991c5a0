#!/usr/bin/python3
"""Drives sockperf's own server at one fixed rate with sockperf's under-load client and with `ipcbench load`, interleaved.

Usage: scripts/load_vs_sockperf.py [--rounds 7] [--rate 10K] [--seconds 5] [--size 64]
                                   [--server-cpu 1] [--client-cpu 0] [--bin PATH] -o DIR

One sockperf server (TCP, epoll, pinned) stays up for the whole run. Each round runs both
clients against it, back to back, the first of them alternating: `sockperf under-load --tcp
--mps RATE --reply-every 1 --full-rtt` (every message answered, round trips rather than
half of them) and `ipcbench load --connect --frame sockperf -c 1 --rate RATE` (one
connection, as sockperf's client has). Both pin to the client CPU. The table gives, per
client, the median over rounds of p50, p99, p99.9 and the mean round trip, and the ratio
ipcbench/sockperf of each taken round by round (its median and range). sockperf measures
from each message's actual send, so it is compared with ipcbench's uncorrected figures;
the corrected ones are shown beside them.
"""
import csv
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ipcbench_csv import OneLineParser, built_binary, fail, run_script

PROG = "load_vs_sockperf.py"
FIGURES = ("p50", "p99", "p999", "mean")


def parse_args(argv):
    parser = OneLineParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--rate", default="10K", help="messages per second, e.g. 10K")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--server-cpu", default="1")
    parser.add_argument("--client-cpu", default="0")
    parser.add_argument("--port", type=int, default=11211)
    parser.add_argument("--bin", default=built_binary("ipcbench"))
    parser.add_argument("-o", "--out", required=True, metavar="DIR")
    return parser.parse_args(argv)


def rate_value(text):
    scale = {"K": 1000, "M": 1_000_000}.get(text[-1:].upper(), 1)
    return int(float(text[:-1] if scale != 1 else text) * scale)


def run_sockperf(args, log):
    command = ["taskset", "-c", args.client_cpu, "sockperf", "under-load", "--tcp", "-i", "127.0.0.1", "-p", str(args.port),
               "--mps", str(rate_value(args.rate)), "-m", str(args.size), "-t", str(args.seconds), "--reply-every", "1",
               "--full-rtt"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=args.seconds + 60, check=False).stdout
    log.write("$ " + " ".join(command) + "\n" + out + "\n")
    percentile = {float(p): float(v) for p, v in re.findall(r"percentile (\d+\.\d+) = +([\d.]+)", out)}
    mean = re.search(r"avg-rtt=([\d.]+)", out) or re.search(r"avg-latency=([\d.]+)", out)
    if not percentile or not mean:
        raise RuntimeError(f"sockperf printed no percentiles: {out[-300:]}")
    us = 1000.0
    return {"p50": percentile[50.0] * us, "p99": percentile[99.0] * us, "p999": percentile[99.9] * us,
            "mean": float(mean.group(1)) * us}


def run_ipcbench(args, out, round_index, log):
    path = out / f"ipcbench-round{round_index}.csv"
    command = ["taskset", "-c", args.client_cpu, args.bin, "load", "--connect", f"127.0.0.1:{args.port}", "--frame", "sockperf",
               "-c", "1", "--rate", args.rate, "-s", str(args.size), "--duration", f"{args.seconds}s", "--warmup", "400ms",
               "--generator-cpus", args.client_cpu, "--table", "none", "--quiet", "--csv", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=args.seconds + 60, check=False)
    log.write("$ " + " ".join(command) + "\n" + result.stdout + result.stderr + "\n")
    with open(path, newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["row"] == "rep")
    if row["status"] != "ok":
        raise RuntimeError(f"ipcbench load failed: {row['reason']}")
    return {"p50": float(row["uncorrected_p50_ns"]), "p99": float(row["uncorrected_p99_ns"]),
            "p999": float(row["uncorrected_p999_ns"]), "mean": float("nan"),
            "corrected_p50": float(row["latency_p50_ns"]), "corrected_p99": float(row["latency_p99_ns"]),
            "achieved": float(row["achieved_rps"])}


def table(rounds):
    lines = ["| figure | sockperf (median of rounds) | ipcbench uncorrected | ipcbench / sockperf, paired [range] | ipcbench corrected |",
             "|---|---|---|---|---|"]
    for figure in ("p50", "p99", "p999"):
        s = statistics.median(r["sockperf"][figure] for r in rounds)
        i = statistics.median(r["ipcbench"][figure] for r in rounds)
        ratios = [r["ipcbench"][figure] / r["sockperf"][figure] for r in rounds]
        corrected = {"p50": "corrected_p50", "p99": "corrected_p99"}.get(figure)
        c = f"{statistics.median(r['ipcbench'][corrected] for r in rounds):.0f}" if corrected else "-"
        lines.append(f"| {figure} (ns) | {s:.0f} | {i:.0f} | {statistics.median(ratios):.3f} "
                     f"[{min(ratios):.2f}-{max(ratios):.2f}] | {c} |")
    achieved = statistics.median(r["ipcbench"]["achieved"] for r in rounds)
    lines.append(f"\nipcbench achieved {achieved:.0f} req/s (median of rounds); sockperf's mean round trip "
                 f"{statistics.median(r['sockperf']['mean'] for r in rounds):.0f} ns.")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    feed = out / "sockperf.feed"
    feed.write_text(f"T:127.0.0.1:{args.port}\n")
    server = subprocess.Popen(["taskset", "-c", args.server_cpu, "sockperf", "server", "-f", str(feed), "-F", "epoll"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    rounds = []
    try:
        with open(out / "raw.log", "w") as log:
            for index in range(1, args.rounds + 1):
                first_sockperf = index % 2 == 1
                results = {}
                for client in (("sockperf", "ipcbench") if first_sockperf else ("ipcbench", "sockperf")):
                    results[client] = run_sockperf(args, log) if client == "sockperf" else run_ipcbench(args, out, index, log)
                rounds.append(results)
                print(f"round {index}/{args.rounds} done", file=sys.stderr)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        return fail(PROG, error)
    finally:
        server.terminate()
        server.wait(timeout=10)
    text = (f"sockperf's server (TCP, epoll, CPU {args.server_cpu}) at {args.rate} msg/s, {args.size} B, one connection, "
            f"{args.rounds} interleaved rounds of {args.seconds} s, clients on CPU {args.client_cpu}.\n\n" + table(rounds) + "\n")
    (out / "comparison.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    run_script(main)
