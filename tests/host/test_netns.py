"""Host mode for real across two network namespaces joined by a veth pair, made and removed here; and a host that
does not exist on that link. Needs root and iproute2: without them the tests say so and skip."""

import csv
import os
import subprocess

import pytest

from host_support import ipcbench, server

SUBNET = f"10.{200 + os.getpid() % 50}.{os.getpid() % 250}"


def ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@pytest.fixture(name="link")
def fixture_link():
    if os.geteuid() != 0:
        pytest.skip("needs root to create network namespaces")
    probe = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False) \
        if subprocess.run(["which", "ip"], capture_output=True, check=False).returncode == 0 else None
    if probe is None or probe.returncode != 0:
        pytest.skip("needs iproute2's ip with netns support")
    tag = f"ipcb{os.getpid()}"
    spaces = {"server": f"{tag}s", "client": f"{tag}c"}
    created = []
    try:
        for name in spaces.values():
            ip("netns", "add", name)
            created.append(name)
        ip("link", "add", f"{tag}a", "type", "veth", "peer", "name", f"{tag}b")
        ip("link", "set", f"{tag}a", "netns", spaces["server"])
        ip("link", "set", f"{tag}b", "netns", spaces["client"])
        for side, device, host in (("server", f"{tag}a", 1), ("client", f"{tag}b", 2)):
            ip("-n", spaces[side], "addr", "add", f"{SUBNET}.{host}/24", "dev", device)
            ip("-n", spaces[side], "link", "set", device, "up")
            ip("-n", spaces[side], "link", "set", "lo", "up")
        yield spaces
    finally:
        for name in created:
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def ping_in(namespace, *args):
    return subprocess.run(["ip", "netns", "exec", namespace, ipcbench(), "ping", "--quiet", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_ping_measures_across_two_namespaces(link, tmp_path):
    csv_path = tmp_path / "hosts.csv"
    with server("--sessions", "4", namespace=link["server"], listen=f"{SUBNET}.1:7007") as s:
        result = ping_in(link["client"], "-t", "tcp,udp", "-s", "64,1K", "--round-trips", "300", "--repetitions", "1",
                         "--connect", f"{SUBNET}.1:7007", "--csv", str(csv_path))
        assert result.returncode == 0, result.stderr
        s.process.wait(timeout=10)
    with open(csv_path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["row"] == "aggregate"]
    assert {(r["transport"], r["payload_bytes"]) for r in rows} == {("tcp", "64"), ("tcp", "1024"), ("udp", "64"),
                                                                    ("udp", "1024")}
    for row in rows:
        assert row["status"] == "ok" and row["mode"] == "host", row["reason"]
        assert row["server"] == f"{SUBNET}.1:7007"
        assert row["server_cpu_model"] and row["server_kernel"], "the server's manifest did not reach the row"
        assert float(row["cpu_server_ns_per_rt"]) > 0


def test_a_host_that_is_not_on_the_link_fails_within_the_peer_timeout(link):
    result = ping_in(link["client"], "-t", "tcp", "--connect", f"{SUBNET}.3:7007", "--peer-timeout", "1s")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ipcbench: error: cannot reach the server: connect to "), last
