"""ipcbench short of descriptors, disk, /dev/shm or ports: a clear error for the cell or the run, nothing measured lost."""

import json
import resource
import shlex
import socket
import subprocess
from pathlib import Path

import pytest

from cli_support import SANITIZER, aggregates, ipcbench, read_csv, require_root_tool, run

SHORT = ["--round-trips", "100", "--warmup", "10", "--repetitions", "1", "--quiet"]



def listed():
    """(name, shape, modes) of every transport, from `ipcbench list`."""
    listing = subprocess.run([ipcbench(), "list"], capture_output=True, text=True, check=True).stdout
    rows = []
    # The transports' table ends at the first blank line; the architectures and workloads follow.
    for line in listing.split("\n\n", 1)[0].splitlines()[1:]:
        if "|" in line:  # not the footer
            name, shape, modes, _ = [f.strip() for f in line.split("|", 3)]
            rows.append((name, shape, [m.strip() for m in modes.split(",")]))
    return rows


def socket_transports():
    return {name for name, shape, _ in listed() if shape == "socket"}


def available_cells():
    """{(transport, mode)} of every cell the default matrix has here, from `ipcbench list`."""
    return {(name, mode) for name, _, modes in listed() for mode in modes if mode != "host"}


def in_namespace(kind, setup, args, prefix=(), copy_out=None):
    """Runs [PREFIX] ipcbench ARGS under `unshare KIND` after the shell commands SETUP; the file
    COPY_OUT[0] (seen inside the namespace) is copied to COPY_OUT[1] before the namespace goes away."""
    require_root_tool("unshare")
    script = f"{setup} && {shlex.join([*prefix, ipcbench(), *args])}; status=$?"
    if copy_out:
        script += f"; cp {shlex.quote(str(copy_out[0]))} {shlex.quote(str(copy_out[1]))}"
    return run([], program=["unshare", kind, "sh", "-c", script + "; exit $status"], timeout=300)


def stderr_lines(stderr):
    return [line for line in stderr.splitlines() if line]


@pytest.mark.parametrize("limit", [6, 7, 9, 12])
def test_a_low_descriptor_limit_fails_cells_with_a_clear_reason(tmp_path, limit):
    if SANITIZER == "address":
        # UBSan's vptr check (part of -fsanitize=undefined) probes a vtable through a pipe()
        # (sanitizer_common's IsAccessibleMemoryRange): with every descriptor in use, every
        # virtual call is reported as "invalid vptr" and the run aborts. Not meaningful here;
        # the Release and TSan runs cover it.
        pytest.skip("UBSan's vptr check itself needs free descriptors")
    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    csv_path = tmp_path / "limited.csv"
    status, _, stderr = run(["run", "-m", "thread,process", "-p", "same", *SHORT, "--table", "none",
                             "--csv", str(csv_path)], preexec_fn=low_limit)
    cells = aggregates(read_csv(csv_path))
    assert {(t, m) for t, m, _ in cells} == available_cells(), "a cell is missing from the CSV"
    failed = {k: r["reason"] for k, r in cells.items() if r["status"] != "ok"}
    assert all("Too many open files" in reason for reason in failed.values()), failed
    # One line for the whole run, and nothing from a library or a crash.
    assert status == (1 if failed else 0)
    assert stderr_lines(stderr) == ([f"ipcbench: {len(failed)} cell(s) failed"] if failed else []), stderr


def test_a_full_disk_mid_run_keeps_whole_rows_and_every_measured_cell(tmp_path):
    # A 4 KiB tmpfs takes the header and a few rows; the rest of the run still measures every
    # cell for the table and the JSON file, and says once what went wrong.
    small = tmp_path / "small"
    small.mkdir()
    kept = tmp_path / "kept.csv"
    json_path = tmp_path / "all.json"
    status, stdout, stderr = in_namespace(
        "-m", f"mount -t tmpfs -o size=4k tmpfs {small}",
        ["run", "-t", "pipe,unix,tcp,eventfd", "-m", "thread,process", "-p", "same", *SHORT,
         "--csv", f"{small}/r.csv", "--json", str(json_path)],
        copy_out=(f"{small}/r.csv", kept))
    assert status == 1, stderr
    assert stderr_lines(stderr) == [f"ipcbench: error: cannot write CSV output '{small}/r.csv': "
                                    "No space left on device; what was written before it was kept"]
    rows = read_csv(kept)  # whole rows only
    assert 0 < len(rows) < 16
    assert all(t in stdout for t in ("pipe", "unix", "tcp", "eventfd"))
    document = json.loads(json_path.read_text())
    assert len(document["cells"]) == 8
    assert all(c["aggregate"]["status"] == "ok" for c in document["cells"])


def test_a_read_only_output_directory_is_refused_before_measuring(tmp_path):
    (tmp_path / "ro").mkdir()
    status, stdout, stderr = in_namespace("-m", f"mount -t tmpfs -o ro tmpfs {tmp_path}/ro",
                                          ["run", "-t", "pipe", "--csv", f"{tmp_path}/ro/r.csv"])
    assert status == 2
    assert stderr_lines(stderr) == [f"ipcbench: error: cannot open CSV output '{tmp_path}/ro/r.csv': "
                                    "Read-only file system"]
    assert stdout == ""  # nothing was measured


def test_json_that_cannot_be_written_at_the_end_loses_no_table_or_csv(tmp_path):
    csv_path = tmp_path / "kept.csv"
    status, stdout, stderr = run(["run", "-t", "pipe,unix", "-m", "thread", "-p", "same", *SHORT,
                                  "--csv", str(csv_path), "--json", "/dev/full"])
    assert status == 1
    assert stderr_lines(stderr) == ["ipcbench: error: cannot write JSON output '/dev/full': No space left on device"]
    assert "pipe" in stdout and "unix" in stdout
    assert len(aggregates(read_csv(csv_path))) == 2


def test_no_dev_shm_fails_only_boost_mq_with_a_clear_reason(tmp_path):
    # Every shared object but Boost's message queue is anonymous (docs/reliability.md): a
    # read-only, empty /dev/shm is no obstacle to the others, and boost-mq's cells fail
    # saying where.
    csv_path = tmp_path / "no_shm.csv"
    status, _, stderr = in_namespace("-m", "mount -t tmpfs -o ro,size=4k tmpfs /dev/shm",
                                     ["run", "-m", "thread,process", "-p", "same", *SHORT, "--table", "none",
                                      "--csv", str(csv_path)])
    assert status == 1, stderr
    assert stderr.strip().splitlines()[-1] == "ipcbench: 2 cell(s) failed", stderr
    cells = aggregates(read_csv(csv_path))
    assert {(t, m) for t, m, _ in cells} == available_cells()
    for (transport, mode, _), row in cells.items():
        if transport == "boost-mq":
            assert row["status"] == "failed"
            assert "message_queue /ipcbench-" in row["reason"] and "Read-only file system" in row["reason"], row["reason"]
        else:
            assert row["status"] == "ok", (transport, mode, row["reason"])


def test_no_free_port_fails_only_the_socket_cells_with_a_clear_reason(tmp_path):
    # In a network namespace of its own whose one ephemeral port is taken, every TCP and UDP
    # transport (they all bind port 0) meets EADDRINUSE; the others run as usual.
    holder = Path(__file__).with_name("hold_port.py")
    csv_path = tmp_path / "no_port.csv"
    status, _, stderr = in_namespace("-n", "true", ["run", "-m", "thread,process", "-p", "same", *SHORT,
                                                   "--table", "none", "--csv", str(csv_path)],
                                     prefix=["/usr/bin/python3", str(holder), "40000"])
    cells = aggregates(read_csv(csv_path))
    assert {(t, m) for t, m, _ in cells} == available_cells()
    sockets = socket_transports()
    for (transport, mode, _), row in cells.items():
        if transport in sockets:
            assert row["status"] == "failed", (transport, mode)
            assert "Address already in use" in row["reason"], row["reason"]
        else:
            assert row["status"] == "ok", row["reason"]
    assert status == 1
    assert stderr_lines(stderr) == [f"ipcbench: {sum(t in sockets for t, _, _ in cells)} cell(s) failed"]


def test_a_port_taken_elsewhere_does_not_matter():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        status, _, stderr = run(["run", "-t", "tcp,epoll,udp", "-m", "process", "-p", "same", *SHORT,
                                 "--table", "none"])
    assert status == 0, stderr
