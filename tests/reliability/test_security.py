"""No transport creates a named object: nothing in /dev/shm, no message queue or SysV object, no socket path, no file but the CSV."""

import os
import re
import shlex
import shutil
from pathlib import Path

import pytest

from cli_support import aggregates, ipcbench, read_csv, require_root_tool, run

EVERY_CELL = ["run", "-m", "thread,process", "-p", "same", "--round-trips", "100", "--warmup", "10",
              "--repetitions", "1", "--table", "none", "--quiet"]


def test_every_transport_leaves_dev_shm_mqueue_and_sysv_empty(tmp_path):
    # A private mount and IPC namespace start with an empty /dev/shm, no message queues and no
    # SysV objects, so anything a run created with a name is seen, whoever else uses this machine.
    require_root_tool("unshare")
    mqueue = tmp_path / "mqueue"
    mqueue.mkdir()
    listing = tmp_path / "after.txt"
    csv_path = tmp_path / "r.csv"
    script = (f"mount -t tmpfs tmpfs /dev/shm && mount -t mqueue mqueue {mqueue} && "
              f"{shlex.join([ipcbench(), *EVERY_CELL, '--csv', str(csv_path)])}; status=$?; "
              f"{{ ls -A /dev/shm {mqueue}; tail -n +2 -q /proc/sysvipc/shm /proc/sysvipc/sem /proc/sysvipc/msg; }} "
              f"> {listing} 2>&1; exit $status")
    status, _, stderr = run([], program=["unshare", "-m", "-i", "sh", "-c", script], timeout=300)
    assert status == 0, stderr
    assert all(r["status"] == "ok" for r in aggregates(read_csv(csv_path)).values())
    left = [line for line in listing.read_text().splitlines() if line and not line.endswith(":")]
    assert left == [], f"named objects were left: {left}"


def traced_calls(tmp_path):
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed (.ci/run installs it after the Release run)")
    trace = tmp_path / "trace.txt"
    csv_path = tmp_path / "r.csv"
    calls = "open,openat,creat,mkdir,mkdirat,mknod,mknodat,bind,mq_open,symlink,symlinkat,link,linkat,rename,renameat2"
    # LeakSanitizer refuses to run under ptrace; leaks are the business of every other ASan
    # test and of valgrind.
    environment = {**os.environ, "ASAN_OPTIONS": "detect_leaks=0"}
    status, _, stderr = run([ipcbench(), *EVERY_CELL, "--csv", str(csv_path)],
                            program=["strace", "-f", "-qq", "-s", "256", "-e", f"trace={calls}", "-o", str(trace)],
                            timeout=600, env=environment)
    assert status == 0, stderr
    return csv_path, trace.read_text().splitlines()


def not_the_sanitizer(lines):
    # TSan's runtime keeps a file of its own (/tmp/tsan.rodata.PID, O_EXCL, 0600); it is not
    # ipcbench's doing and exists in sanitizer builds only.
    return [l for l in lines if "/tmp/tsan.rodata." not in l]


def test_no_file_socket_path_or_queue_is_created_by_name(tmp_path):
    csv_path, lines = traced_calls(tmp_path)
    lines = not_the_sanitizer(lines)
    created = [l for l in lines if re.search(r"open(at)?\(.*O_CREAT", l) and str(csv_path) not in l]
    assert created == [], "files created besides the CSV"
    # Every bind is to an address, never to a path in the file system.
    binds = [l for l in lines if " bind(" in l]
    assert binds, "no bind traced: the trace saw nothing"
    assert all("AF_INET" in l for l in binds), [l for l in binds if "AF_INET" not in l]
    named = [l for l in lines if re.search(r" (mq_open|mkdir(at)?|mknod(at)?|symlink(at)?|link(at)?|rename(at2)?)\(", l)]
    assert named == []


def test_the_csv_is_the_only_file_opened_for_writing(tmp_path):
    csv_path, lines = traced_calls(tmp_path)
    lines = not_the_sanitizer(lines)
    writing = [l for l in lines if re.search(r"open(at)?\(.*O_(WRONLY|RDWR)", l)]
    outside = [l for l in writing if str(csv_path) not in l and not re.search(r'"/dev/(null|zero|tty)"', l)
               and not re.search(r'"/proc/self/|"/proc/\d+/', l)]
    assert outside == [], "files opened for writing besides the CSV"
