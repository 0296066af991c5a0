"""`ipcbench ping` against servers that are not there, do not answer, speak another version, or stop mid-run: one
line naming what happened, a non-zero exit within the peer timeout, and the cells already measured kept."""

import csv
import json
import os
import signal
import socket
import threading
import time

import pytest

from host_support import REFUSE, frame, ping, read_exact, server, HEADER

TIMEOUT = ["--peer-timeout", "500ms"]
# A deadline, not a speed: a ping that waited for the server of its own accord would take
# many times the 500 ms peer timeout (or for ever); this leaves room for a sanitizer build's
# slow start-up and exit.
PROMPT_S = 5


def last_line(stderr):
    lines = stderr.strip().splitlines()
    assert lines, "nothing on stderr"
    return lines[-1]


def test_a_refused_port_is_one_line_at_once():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        status, _, stderr, seconds = ping(f"127.0.0.1:{port}", "-t", "tcp", *TIMEOUT)
    assert status == 1
    assert last_line(stderr) == (f"ipcbench: error: cannot reach the server: connect to 127.0.0.1:{port}: "
                                 "Connection refused; the cells before it were kept")
    assert seconds < PROMPT_S


def test_a_server_that_does_not_answer_is_named_within_the_peer_timeout():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()  # the kernel completes the handshake; nobody ever reads
        port = s.getsockname()[1]
        status, _, stderr, seconds = ping(f"127.0.0.1:{port}", "-t", "tcp", *TIMEOUT)
    assert status == 1
    assert f"no answer from 127.0.0.1:{port} within 500 ms" in last_line(stderr)
    assert seconds < PROMPT_S


def test_a_server_of_another_version_is_named_with_both_versions():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]

        def future_server():
            client, _ = s.accept()
            with client:
                _, _, _, length, _, _ = HEADER.unpack(read_exact(client, HEADER.size))
                read_exact(client, length)
                client.sendall(frame(REFUSE, json.dumps({"protocol": 2, "reason": "this server speaks 2"}).encode()))

        thread = threading.Thread(target=future_server)
        thread.start()
        status, _, stderr, _ = ping(f"127.0.0.1:{port}", "-t", "tcp", *TIMEOUT)
        thread.join()
    assert status == 1
    assert last_line(stderr).startswith(f"ipcbench: error: the server at 127.0.0.1:{port} speaks protocol 2 "
                                        "and this ipcbench protocol 1: this server speaks 2")


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def run_ping_and_disturb_the_server(tmp_path, disturb):
    """ping -t tcp,udp with several repetitions; once the first repetitions are in the CSV, disturb(server)."""
    csv_path = tmp_path / "ping.csv"
    with server(*TIMEOUT) as s:
        done = {}

        def client():
            done["result"] = ping(s.address, "-t", "tcp,udp", "--duration", "100ms", "--repetitions", "20",
                                  *TIMEOUT, "--csv", str(csv_path))

        thread = threading.Thread(target=client)
        thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (csv_path.exists() and len(rows(csv_path)) >= 2):
            time.sleep(0.05)
        disturbed_at = time.monotonic()
        disturb(s)
        thread.join(timeout=30)
        assert not thread.is_alive(), "ping did not end"
        status, _, stderr, _ = done["result"]
        ended_after = time.monotonic() - disturbed_at
        os.killpg(s.process.pid, signal.SIGCONT)
    return status, stderr, ended_after, rows(csv_path)


@pytest.mark.parametrize("sig", [signal.SIGSTOP, signal.SIGKILL], ids=["stopped", "killed"])
def test_a_server_stopped_or_killed_mid_run_fails_the_run_promptly_and_keeps_what_was_measured(tmp_path, sig):
    status, stderr, seconds, measured = run_ping_and_disturb_the_server(tmp_path, lambda s: os.killpg(s.process.pid, sig))
    assert status == 1
    assert last_line(stderr).startswith("ipcbench: error: "), stderr
    assert seconds < 2 * PROMPT_S, f"ping took {seconds:.1f} s to give up"
    assert any(r["status"] == "ok" and r["mode"] == "host" for r in measured)
    assert any(r["status"] == "failed" for r in measured)
