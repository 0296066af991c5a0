"""What the host-mode tests share: frames built from docs/wire-protocol.md alone, a real `ipcbench serve`, its descriptors and memory."""

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))
from cli_support import assert_no_survivors, ipcbench  # noqa: E402,F401

HELLO, WELCOME, REFUSE, REQUEST, REPLY, STOP, RESULT = 1, 2, 3, 4, 5, 6, 7
HEADER = struct.Struct("<HBBIQQ")
MAGIC = 0x4249

MANIFEST = {"run_id": "test", "cpu_model": "test", "cpu_count": 1, "kernel": "test", "virtualization": "none",
            "governor": "unknown", "compiler": "none", "compiler_flags": "", "build_type": "", "sanitizer": "",
            "ipcbench_version": "0", "git_commit": "", "timer_source": "steady_clock", "timer_overhead_ns": 0,
            "cpus": "-1;-1", "hostname": "test"}


def frame(kind, body=b"", sequence=0, timestamp=0, length=None, magic=MAGIC, flags=0):
    return HEADER.pack(magic, kind, flags, len(body) if length is None else length, sequence, timestamp) + body


def hello(transport="tcp", payload=64, protocol=1, round_trips=100):
    body = {"protocol": protocol, "transport": transport, "payload_bytes": payload, "repetition": 1,
            "plan": {"round_trips": round_trips, "warmup_round_trips": 0, "verify": False}, "manifest": MANIFEST}
    return frame(HELLO, json.dumps(body).encode())


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError(f"closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def read_frame(sock):
    """(type, body as a dict) of the next control frame."""
    magic, kind, _, length, _, _ = HEADER.unpack(read_exact(sock, HEADER.size))
    assert magic == MAGIC, hex(magic)
    return kind, json.loads(read_exact(sock, length))


def closed_by_peer(sock, within_s):
    """True once the peer has closed (EOF or reset) within the time; reads and drops anything it sent."""
    sock.settimeout(within_s)
    try:
        while sock.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class Server:
    """`ipcbench serve` on 127.0.0.1, port chosen by the kernel, in a session of its own."""

    def __init__(self, *args, namespace=None, listen="127.0.0.1:0"):
        prefix = ["ip", "netns", "exec", namespace] if namespace else []
        self.process = subprocess.Popen([*prefix, ipcbench(), "serve", "--listen", listen, *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        start_new_session=True)
        line = self.process.stdout.readline()
        assert "listening on" in line, (line, self.process.stderr.read() if self.process.poll() is not None else "")
        self.address = line.split("listening on ")[1].split(" ")[0]
        host, port = self.address.rsplit(":", 1)
        self.host, self.port = host, int(port)

    def connect(self):
        return socket.create_connection((self.host, self.port), timeout=5)

    def descriptors(self):
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def resident_kib(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def alive(self):
        return self.process.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout_s=10):
        """Ends the server; returns (exit status, stderr)."""
        if self.alive():
            self.process.send_signal(sig)
        try:
            _, stderr = self.process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            _, stderr = self.process.communicate()
            raise AssertionError(f"serve did not stop within {timeout_s} s of {sig}: {stderr}") from None
        assert_no_survivors(self.process.pid)
        return self.process.returncode, stderr


@contextmanager
def server(*args, **kwargs):
    s = Server(*args, **kwargs)
    try:
        yield s
    finally:
        if s.alive():
            s.stop()


def ping(address, *args, timeout=60):
    """Runs `ipcbench ping --connect ADDRESS ARGS`; (status, stdout, stderr, seconds)."""
    start = time.monotonic()
    process = subprocess.run([ipcbench(), "ping", "--connect", address, "--quiet", *args], capture_output=True,
                             text=True, timeout=timeout, check=False)
    return process.returncode, process.stdout, process.stderr, time.monotonic() - start
