#!/usr/bin/env python3
"""Writes the fuzzer's seed corpus: valid frames built from docs/wire-protocol.md alone, as a Python client would."""
import json
import pathlib
import struct

MAGIC = 0x4249
HELLO, WELCOME, REFUSE, REQUEST, REPLY, STOP, RESULT = range(1, 8)


def frame(frame_type, body, sequence=0, timestamp_ns=0):
    return struct.pack("<HBBIQQ", MAGIC, frame_type, 0, len(body), sequence, timestamp_ns) + body


def control(frame_type, fields):
    return frame(frame_type, json.dumps(fields, separators=(",", ":")).encode())


MANIFEST = {
    "run_id": "20240611T120000-4242", "cpu_model": "AMD EPYC 7B13", "kernel": "Linux 6.1.0-18-amd64",
    "virtualization": "kvm", "governor": "unknown", "compiler": "GNU 12.2.0", "compiler_flags": " -O3 -DNDEBUG",
    "build_type": "Release", "sanitizer": "", "ipcbench_version": "0.1.0", "git_commit": "0123456789ab",
    "timer_source": "tsc", "cpus": "0;1", "hostname": "lab-1", "cpu_count": 2, "timer_overhead_ns": 12.5,
}

SEEDS = {
    "hello": control(HELLO, {"protocol": 1, "transport": "tcp", "payload_bytes": 64, "repetition": 1,
                             "plan": {"duration_ns": 1000000000, "warmup_round_trips": 1000, "verify": False},
                             "manifest": MANIFEST}),
    "hello-round-trips": control(HELLO, {"protocol": 1, "transport": "udp-epoll", "payload_bytes": 1048576,
                                         "repetition": 1000, "plan": {"round_trips": 1000000000000,
                                                                      "warmup_round_trips": 0, "verify": True},
                                         "manifest": MANIFEST}),
    "hello-v2": control(HELLO, {"protocol": 2, "transport": "quic"}),
    "welcome": control(WELCOME, {"protocol": 1, "data_port": 40123, "server_cpu": -1, "manifest": MANIFEST}),
    "refuse": control(REFUSE, {"protocol": 1, "reason": "busy"}),
    "result": control(RESULT, {"ok": True, "reason": "", "messages": 2000001, "cpu_ns": 987654321,
                               "voluntary_switches": 1999000, "involuntary_switches": 17, "cpu": 1}),
    "result-failed-then-refuse": control(RESULT, {"ok": False, "reason": "server: peer closed", "messages": 0,
                                                  "cpu_ns": 0, "voluntary_switches": 0, "involuntary_switches": 0,
                                                  "cpu": -1}) + control(REFUSE, {"protocol": 2, "reason": "x"}),
    "request-64": frame(REQUEST, bytes(range(64)), sequence=7, timestamp_ns=123456789),
    "stop-64": frame(STOP, bytes(64), sequence=8),
}

if __name__ == "__main__":
    out = pathlib.Path(__file__).resolve().parent / "corpus"
    out.mkdir(exist_ok=True)
    for name, data in SEEDS.items():
        (out / f"{name}.bin").write_bytes(data)
