"""What the CLI-level reliability tests share: the binary, strict CSV reading, left-over process checks."""

import csv
import io
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

# Set by ctest (tests/CMakeLists.txt) to the ipcbench of the build under test, and its
# IPCBENCH_SANITIZE option ('', 'address' or 'thread').
BINARY = os.environ.get("IPCBENCH_BIN", "")
# ipcbench_armed: the same CLI with the test hooks (--inject-fault) compiled in.
ARMED_BINARY = os.environ.get("IPCBENCH_ARMED_BIN", "")
SANITIZER = os.environ.get("IPCBENCH_SANITIZE", "")
WORKER_NAMES = ("ipcb-client", "ipcb-server")


def ipcbench():
    if not BINARY or not Path(BINARY).is_file():
        pytest.fail(f"IPCBENCH_BIN='{BINARY}' is not the ipcbench binary; run these tests through ctest")
    return BINARY


def armed():
    if not ARMED_BINARY or not Path(ARMED_BINARY).is_file():
        pytest.fail(f"IPCBENCH_ARMED_BIN='{ARMED_BINARY}' is not the ipcbench_armed binary; run these tests through ctest")
    return ARMED_BINARY


def read_csv(path):
    """Every row as a dict; fails unless the file is whole: every line ends in CRLF and has the header's field count."""
    data = Path(path).read_bytes()
    assert data, f"{path} is empty"
    assert data.endswith(b"\r\n"), f"{path} ends in a partial row: {data[-80:]!r}"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    header = rows[0]
    assert header[:2] == ["run_id", "transport"], header[:5]
    for number, row in enumerate(rows[1:], start=2):
        assert len(row) == len(header), f"{path}:{number}: {len(row)} fields, the header has {len(header)}"
    return [dict(zip(header, row)) for row in rows[1:]]


def aggregates(rows):
    return {(r["transport"], r["mode"], r["placement"]): r for r in rows if r["row"] == "aggregate"}


def session_members(session_id):
    """Pids of every process, zombies included, whose session is `session_id`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended while we looked
        # The command name is in parentheses and may hold spaces; the fields after it are fixed.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == session_id:
            members.append((int(entry.name), stat[stat.index("(") + 1:stat.rindex(")")], fields[0]))
    return members


def assert_no_survivors(session_id, grace_s=2.0):
    """Nothing of the run's session is left, not even a zombie, once the grace time is over."""
    deadline = time.monotonic() + grace_s
    while (left := session_members(session_id)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"left behind: {left}"


def start(args, program=None, **kwargs):
    """Starts ipcbench ARGS (or PROGRAM ARGS) in a session of its own, so that everything it forks can be found."""
    return subprocess.Popen([*(program or [ipcbench()]), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, **kwargs)


def run(args, timeout=120, **kwargs):
    """Runs ipcbench to its end; returns (returncode, stdout, stderr) once its session is empty."""
    process = start(args, **kwargs)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.communicate()
        pytest.fail(f"ipcbench {' '.join(args)} hung for {timeout} s")
    assert_no_survivors(process.pid)
    return process.returncode, stdout, stderr


def wait_for(condition, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def workers_running(session_id):
    return any(name in WORKER_NAMES and state != "Z" for _, name, state in session_members(session_id))


def require_root_tool(tool):
    """Namespace tests need root and the tool; without them they say why and skip."""
    if os.geteuid() != 0:
        pytest.skip(f"needs root for {tool}")
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    probe = subprocess.run([tool, "-m", "true"] if tool == "unshare" else [tool, "--version"],
                           capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"{tool} is not permitted here: {probe.stderr.decode(errors='replace').strip()}")
