"""The http workload with its real peers: wrk drives ipcbench's servers, ipcbench's generator drives nginx (skipped, saying so, without the Debian packages wrk and nginx-light)."""

import argparse
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import http_peers  # noqa: E402

BINARY = os.environ.get("IPCBENCH_BIN", "")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def settings(**overrides):
    values = dict(size=100, connections=8, seconds=1, server_cpu="0", client_cpu="0", bin=BINARY)
    values.update(overrides)
    return argparse.Namespace(**values)


@pytest.fixture(autouse=True)
def needs_binary():
    if not BINARY:
        pytest.skip("IPCBENCH_BIN is not set: ctest sets it to the ipcbench under test")


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed (apt-get install wrk)")
@pytest.mark.parametrize("architecture", http_peers.architectures(BINARY) if BINARY else ["-"])
def test_wrk_gets_only_good_responses_from_every_architecture(architecture, tmp_path):
    args = settings()
    with open(tmp_path / "raw.log", "w") as log, http_peers.ipcbench_server(args, architecture) as server:
        figures = http_peers.wrk(args, server.port, log)
    assert figures["errors"] == 0, (tmp_path / "raw.log").read_text()
    assert figures["req/s"] > 0
    assert figures["p50"] > 0


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")
def test_ipcbench_load_drives_nginx_and_checks_every_response(tmp_path):
    args = settings()
    with open(tmp_path / "raw.log", "w") as log, http_peers.nginx_server(args, tmp_path) as nginx:
        for rate in ("1K", "max"):
            figures = http_peers.ipcbench_load(args, nginx.port, rate, tmp_path / f"{rate}.csv", log)
            assert figures["req/s"] > 0
            with open(tmp_path / f"{rate}.csv", newline="") as f:
                row = next(r for r in csv.DictReader(f) if r["row"] == "rep")
            assert row["errors_protocol"] == "0" and row["errors_reset"] == "0", row["reason"]


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")
def test_a_body_nginx_does_not_send_is_a_protocol_error(tmp_path):
    args = settings()
    with open(tmp_path / "raw.log", "w") as log, http_peers.nginx_server(args, tmp_path) as nginx:
        result = subprocess.run([BINARY, "load", "--connect", f"127.0.0.1:{nginx.port}", "-w", "http", "-s", "101", "-c", "1",
                                 "--rate", "100", "--duration", "200ms", "--warmup", "0", "--table", "none", "--quiet",
                                 "--csv", str(tmp_path / "wrong.csv")], capture_output=True, text=True, check=False)
        log.write(result.stderr)
    assert result.returncode == 1
    with open(tmp_path / "wrong.csv", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["row"] == "rep")
    assert row["status"] == "failed"
    assert "HTTP 200 with 100 body bytes, expected 200 with 101" in row["reason"]
