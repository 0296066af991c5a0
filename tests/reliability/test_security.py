"""No transport leaves a named object: nothing in /dev/shm, no message queue or SysV object, no socket path, no file but the CSV.

posix-mq is the one transport that must name what it creates (a message queue has no other
way in): its queues are created 0600 with O_EXCL under unpredictable names and unlinked by the
process that made them, before any other process exists to use the name.
"""

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
    calls = ("open,openat,creat,mkdir,mkdirat,mknod,mknodat,bind,mq_open,mq_unlink,symlink,symlinkat,link,linkat,"
             "rename,renameat2,clone,clone3,fork,vfork")
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


QUEUE_NAME = r'"ipcbench-(\d+)-[0-9a-f]{16}-to-(server|client)"'


def test_no_file_socket_path_or_queue_is_created_by_name(tmp_path):
    csv_path, lines = traced_calls(tmp_path)
    lines = not_the_sanitizer(lines)
    created = [l for l in lines if re.search(r" open(at)?\(.*O_CREAT", l) and str(csv_path) not in l]
    assert created == [], "files created besides the CSV"
    # Every bind is to an address, never to a path in the file system.
    binds = [l for l in lines if " bind(" in l]
    assert binds, "no bind traced: the trace saw nothing"
    assert all("AF_INET" in l for l in binds), [l for l in binds if "AF_INET" not in l]
    named = [l for l in lines if re.search(r" (mkdir(at)?|mknod(at)?|symlink(at)?|link(at)?|rename(at2)?)\(", l)]
    assert named == []


def test_message_queues_are_private_unguessable_and_unlinked_before_anyone_else_exists(tmp_path):
    _, lines = traced_calls(tmp_path)
    queue_calls = [l for l in lines if re.search(r" mq_(open|unlink)\(", l)]
    assert queue_calls, "no mq_open traced: posix-mq did not run"
    # Creating a queue: 0600 and O_EXCL, a name with the creator's pid and 64 random bits.
    creations = [l for l in queue_calls if " mq_open(" in l and "O_CREAT" in l]
    assert creations
    for line in creations:
        found = re.search(QUEUE_NAME, line)
        assert found and found.group(1) == line.split()[0], line
        assert "O_EXCL" in line and ", 0600," in line, line
    # Each name is unlinked by the process that made it, and no process starts between the two.
    for line in creations:
        pid, name = line.split()[0], re.search(QUEUE_NAME, line).group(0)
        after = lines[lines.index(line) + 1:]
        unlink = next((i for i, l in enumerate(after) if f"mq_unlink({name})" in l), None)
        assert unlink is not None and after[unlink].split()[0] == pid, f"{name} is never unlinked by {pid}"
        started = [l for l in after[:unlink] if re.search(r" (clone3?|v?fork)\(", l)]
        assert started == [], f"a process started while {name} existed: {started}"


def test_the_csv_is_the_only_file_opened_for_writing(tmp_path):
    csv_path, lines = traced_calls(tmp_path)
    lines = not_the_sanitizer(lines)
    writing = [l for l in lines if re.search(r" open(at)?\(.*O_(WRONLY|RDWR)", l)]
    outside = [l for l in writing if str(csv_path) not in l and not re.search(r'"/dev/(null|zero|tty)"', l)
               and not re.search(r'"/proc/self/|"/proc/\d+/', l)]
    assert outside == [], "files opened for writing besides the CSV"
