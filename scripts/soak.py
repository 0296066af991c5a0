#!/usr/bin/python3
"""Soaks each server architecture: minutes of load at 1,000+ connections while hostile clients connect, vanish and misbehave.

Usage: scripts/soak.py [--arch epoll,...] [--minutes 3] [--segment 30] [--connections 1000] [--rate 10K]
                       [--workload kv] [--server-cpu 1] [--generator-cpu 0] [--bin PATH] -o DIR

For each architecture it starts one `ipcbench serve --arch A` (pinned, on 127.0.0.1, a port
the kernel chooses) and keeps it up for the whole soak. Against it, back to back, it runs
`ipcbench load --connect` segments of --segment seconds until --minutes have passed, while a
thread of hostile clients keeps arriving: connections closed at once, half a request then
gone, a reset with a request in flight, a malformed frame, a client that sends and never
reads, a client that connects and idles. Every few seconds it samples the server's
descriptors and resident memory from /proc. The verdict for an architecture is a pass when
the server never died, every segment's requests all got their right replies (no error of any
kind in the CSV), the server's descriptors came back to where they started once the clients
had gone, and it stopped cleanly on SIGTERM. DIR gets each segment's CSV, the samples, and
summary.md; the exit status is 0 when every architecture passed, else 1.

Latencies here are not benchmark figures: the hostile clients and this script share the CPUs.
"""
import argparse
import csv
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from ipcbench_csv import OneLineParser, built_binary, fail, run_script

PROG = "soak.py"
ERROR_COLUMNS = ("errors_connect", "errors_read", "errors_write", "errors_timeout", "errors_protocol", "errors_reset")
KV_HEADER = struct.Struct("<IBBHQ")  # length, op, 0, key bytes, id (servers/kv_wire.hpp)


def parse_args(argv):
    parser = OneLineParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="all", help="architectures, comma-separated (default: every one)")
    parser.add_argument("--minutes", type=float, default=3.0, help="soak length per architecture (default 3)")
    parser.add_argument("--segment", type=int, default=30, help="seconds per load run (default 30)")
    parser.add_argument("--connections", default="1000")
    parser.add_argument("--rate", default="10K")
    parser.add_argument("--workload", default="kv", choices=("echo", "kv"))
    parser.add_argument("--server-cpu", default="1")
    parser.add_argument("--generator-cpu", default="0")
    parser.add_argument("--bin", default=built_binary("ipcbench"))
    parser.add_argument("-o", "--out", required=True, metavar="DIR")
    return parser.parse_args(argv)


def architectures(binary, wanted):
    listing = subprocess.run([binary, "list"], capture_output=True, text=True, check=True).stdout
    section = listing.split("Server architectures", 1)[1].split("\n\n", 1)[0]
    known = [line.split("|")[0].strip() for line in section.splitlines()[1:] if "|" in line]
    if wanted == "all":
        return known
    chosen = wanted.split(",")
    unknown = [a for a in chosen if a not in known]
    if unknown:
        raise ValueError(f"--arch: unknown {', '.join(unknown)} (valid: {', '.join(known)})")
    return chosen


def start_server(binary, arch, workload, cpu):
    server = subprocess.Popen([binary, "serve", "--arch", arch, "-w", workload, "--listen", "127.0.0.1:0", "--cpus", cpu],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    if not found:
        server.kill()
        raise RuntimeError(f"the {arch} server did not start: {line.strip()} {server.stderr.read().strip()}")
    return server, int(found.group(1))


def server_state(pid):
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    rss_kib = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss_kib = int(line.split()[1])
    return fds, rss_kib


def kv_frame(op, key, value=b"", request_id=1):
    return KV_HEADER.pack(12 + len(key) + len(value), op, 0, len(key), request_id) + key + value


def misbehave(port, kind):
    """One hostile client; whatever the server does to it, it must not be the server's end.
    Its keys are outside the generator's (key:NNNNNNNN), whose GETs check the value size."""
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    try:
        if kind == "close":
            pass
        elif kind == "half":
            s.sendall(kv_frame(2, b"bad:00000001", b"x" * 500)[:40])
        elif kind == "reset":
            s.sendall(kv_frame(2, b"bad:00000002", b"y" * 4000))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif kind == "garbage":
            s.sendall(struct.pack("<I", 0xFFFFFFF0) + os.urandom(60))
            s.recv(64)
        elif kind == "deaf":
            s.setblocking(False)
            frame = kv_frame(1, b"bad:00000003")
            for _ in range(2000):
                try:
                    s.send(frame)
                except BlockingIOError:
                    break
            time.sleep(0.5)
        elif kind == "idle":
            time.sleep(1.0)
    except OSError:
        pass
    finally:
        s.close()


def hostile_clients(port, stop, counts):
    kinds = ("close", "half", "reset", "garbage", "deaf", "idle")
    rng = random.Random(1)
    threads = []
    while not stop.is_set():
        kind = rng.choice(kinds)
        worker = threading.Thread(target=lambda k=kind: (misbehave_quietly(port, k), counts.__setitem__(k, counts.get(k, 0) + 1)))
        worker.start()
        threads.append(worker)
        threads = [t for t in threads if t.is_alive()]
        stop.wait(0.05)
    for t in threads:
        t.join(timeout=5)


def misbehave_quietly(port, kind):
    try:
        misbehave(port, kind)
    except OSError:
        pass


def segment_errors(path):
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["row"] == "rep"]
    errors = sum(float(r[c] or 0) for r in rows for c in ERROR_COLUMNS)
    failed = [r["reason"] for r in rows if r["status"] != "ok"]
    row = rows[0] if rows else {}
    return errors, failed, row


def soak(args, arch, out):
    binary = args.bin
    server, port = start_server(binary, arch, args.workload, args.server_cpu)
    fds_start, rss_start = server_state(server.pid)
    samples, segments, problems = [], [], []
    stop = threading.Event()
    counts = {}
    hostile = threading.Thread(target=hostile_clients, args=(port, stop, counts))
    hostile.start()
    deadline = time.monotonic() + args.minutes * 60
    index = 0
    try:
        while time.monotonic() < deadline and server.poll() is None:
            index += 1
            path = out / f"{arch}-segment{index}.csv"
            command = [binary, "load", "--connect", f"127.0.0.1:{port}", "-w", args.workload, "-c", args.connections,
                       "--rate", args.rate, "--duration", f"{args.segment}s", "--generator-cpus", args.generator_cpu,
                       "--table", "none", "--quiet", "--csv", str(path)]
            subprocess.run(command, capture_output=True, text=True, timeout=args.segment + 120, check=False)
            errors, failed, row = segment_errors(path)
            fds, rss = server_state(server.pid)
            samples.append((index, fds, rss))
            segments.append((index, row.get("achieved_rps"), row.get("latency_p50_ns"), row.get("latency_p99_ns"), errors))
            if errors or failed:
                problems.append(f"segment {index}: {errors:.0f} errors {'; '.join(failed)}")
    finally:
        stop.set()
        hostile.join()
    if server.poll() is not None:
        problems.append(f"the server died: exit status {server.returncode}: {server.stderr.read().strip()}")
    else:
        time.sleep(1.0)  # the hostile clients' last connections close
        fds_end, rss_end = server_state(server.pid)
        samples.append(("end", fds_end, rss_end))
        if fds_end != fds_start:
            problems.append(f"descriptors {fds_start} at the start, {fds_end} after every client left")
        server.send_signal(signal.SIGTERM)
        try:
            status = server.wait(timeout=10)
            if status != 0:
                problems.append(f"SIGTERM: exit status {status}")
        except subprocess.TimeoutExpired:
            server.kill()
            problems.append("did not stop within 10 s of SIGTERM")
    return {"arch": arch, "segments": segments, "samples": samples, "start": (fds_start, rss_start),
            "problems": problems, "hostile": counts}


def summary_text(args, results):
    lines = [f"# Soak: {args.minutes:g} min per architecture, {args.connections} connections at {args.rate}/s, "
             f"{args.workload}, {args.segment} s segments against one server, hostile clients throughout", ""]
    for r in results:
        verdict = "PASS" if not r["problems"] else "FAIL: " + "; ".join(r["problems"])
        hostile = ", ".join(f"{k} {v}" for k, v in sorted(r["hostile"].items()))
        lines += [f"## {r['arch']}: {verdict}", "", f"Hostile clients: {hostile}.",
                  f"Server at the start: {r['start'][0]} descriptors, {r['start'][1]} KiB resident.", "",
                  "| segment | achieved req/s | p50 ns | p99 ns | errors | server fds after | server RSS KiB after |",
                  "|---|---|---|---|---|---|---|"]
        by_index = {s[0]: s for s in r["samples"]}
        for index, achieved, p50, p99, errors in r["segments"]:
            _, fds, rss = by_index.get(index, (index, "-", "-"))
            lines.append(f"| {index} | {achieved} | {p50} | {p99} | {errors:.0f} | {fds} | {rss} |")
        if "end" in by_index:
            lines.append(f"| after the clients left | | | | | {by_index['end'][1]} | {by_index['end'][2]} |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        archs = architectures(args.bin, args.arch)
    except (OSError, ValueError, subprocess.CalledProcessError) as error:
        return fail(PROG, error)
    results = []
    for arch in archs:
        print(f"soak: {arch} ...", file=sys.stderr)
        try:
            results.append(soak(args, arch, out))
        except RuntimeError as error:
            results.append({"arch": arch, "segments": [], "samples": [], "start": ("-", "-"), "problems": [str(error)],
                            "hostile": {}})
    text = summary_text(args, results)
    (out / "summary.md").write_text(text)
    print(text)
    return 0 if all(not r["problems"] for r in results) else 1


if __name__ == "__main__":
    run_script(main)
