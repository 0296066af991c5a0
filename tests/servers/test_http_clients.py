"""Every server architecture serves a real HTTP client: Python's http.client (Debian's python3) against `ipcbench serve --arch A -w http`."""

import http.client
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from http_peers import architectures  # noqa: E402

BINARY = os.environ.get("IPCBENCH_BIN", "")
# Under ThreadSanitizer a signal reaches its handler only at a call TSan intercepts, and
# io_uring_enter is not one: `serve --arch io_uring` sleeping in it never sees SIGTERM (with
# or without http; the Release and ASan runs check its stop).
UNDER_TSAN = os.environ.get("IPCBENCH_SANITIZE") == "thread"
ARCHITECTURES = [a for a in architectures(BINARY) if not (UNDER_TSAN and a == "io_uring")] if BINARY else ["-"]


@pytest.fixture(name="serve", params=ARCHITECTURES)
def fixture_serve(request):
    if not BINARY:
        pytest.skip("IPCBENCH_BIN is not set: ctest sets it to the ipcbench under test")
    server = subprocess.Popen([BINARY, "serve", "--arch", request.param, "-w", "http", "-s", "1K", "--listen", "127.0.0.1:0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        assert found, f"serve said {line!r}; stderr: {server.stderr.read() if server.poll() is not None else ''}"
        yield request.param, int(found.group(1))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            assert server.wait(timeout=10) == 0, "serve did not stop cleanly on SIGTERM"
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()


def test_keep_alive_gets_head_and_a_refusal(serve):
    architecture, port = serve
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    for path in ("/", "/index.html", "/a?b=c"):
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200, architecture
        assert response.version == 11
        assert response.getheader("Content-Length") == "1024"
        assert len(body) == 1024 and body.startswith(b"ipcbench static response\n")
        assert not response.will_close, f"{architecture} closed a keep-alive connection"
    connection.request("HEAD", "/")
    response = connection.getresponse()
    assert response.status == 200 and response.read() == b""
    connection.request("GET", "/", headers={"Connection": "close"})
    response = connection.getresponse()
    assert response.status == 200 and len(response.read()) == 1024
    assert response.will_close
    connection.close()

    refused = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    refused.request("POST", "/", body=b"x")
    response = refused.getresponse()
    assert response.status == 405, f"{architecture}: only GET and HEAD are served"
    assert response.will_close
    refused.close()
