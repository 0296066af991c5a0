"""No transport leaves a named object: nothing in /dev/shm, no message queue or SysV object, no socket path, no file but the CSV.

zeromq-ipc binds an abstract Unix socket (it leaves no file) under a private name.

posix-mq and boost-mq must name what they create (a POSIX message queue and Boost's shared
memory have no other way in): each object is created 0600 with O_EXCL under a name no other
process can guess, and unlinked by the process that made it before any other process exists
to use the name.
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
    calls = ("open,openat,creat,mkdir,mkdirat,mknod,mknodat,bind,mq_open,mq_unlink,unlink,symlink,symlinkat,link,linkat,"
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


# A name only its creator knows (sys::private_ipc_name), as strace shows it: a message queue's
# bare, Boost's shared memory under /dev/shm. Group 1 is the creator's pid.
PRIVATE_NAME = r'"(?:/dev/shm/)?ipcbench-(\d+)-[0-9a-f]{16}-[a-z-]+"'


def test_no_file_or_socket_path_is_created_besides_the_private_names(tmp_path):
    csv_path, lines = traced_calls(tmp_path)
    lines = not_the_sanitizer(lines)
    created = [l for l in lines if re.search(r" open(at)?\(.*O_CREAT", l) and str(csv_path) not in l
               and not re.search(PRIVATE_NAME, l)]
    assert created == [], "files created besides the CSV"
    # Every bind is to an address, never to a path in the file system: an IP address, or
    # (zeromq-ipc) an abstract Unix name, private as the named objects are.
    binds = [l for l in lines if " bind(" in l]
    assert binds, "no bind traced: the trace saw nothing"
    abstract = [l for l in binds if "AF_UNIX" in l]
    assert abstract, "no abstract Unix socket bound: zeromq-ipc did not run"
    assert all(re.search(r"sun_path=@" + PRIVATE_NAME, l) for l in abstract), abstract
    assert all("AF_INET" in l for l in binds if l not in abstract), [l for l in binds if "AF_INET" not in l]
    named = [l for l in lines if re.search(r" (mkdir(at)?|mknod(at)?|symlink(at)?|link(at)?|rename(at2)?)\(", l)]
    assert named == []


def test_named_objects_are_private_unguessable_and_unlinked_before_anyone_else_exists(tmp_path):
    _, lines = traced_calls(tmp_path)
    creations = [l for l in lines if re.search(r" (mq_open|open(at)?)\(.*O_CREAT", l) and re.search(PRIVATE_NAME, l)]
    assert any(" mq_open(" in l for l in creations), "no message queue created: posix-mq did not run"
    assert any("/dev/shm/" in l for l in creations), "no shared memory created by name: boost-mq did not run"
    # Created 0600 and O_EXCL, under a name with the creator's pid and 64 random bits.
    for line in creations:
        assert re.search(PRIVATE_NAME, line).group(1) == line.split()[0], line
        assert "O_EXCL" in line and re.search(r", 0600[,)]", line), line
    # Each name is unlinked by the process that made it, and no process starts between the two.
    for line in creations:
        pid, name = line.split()[0], re.search(PRIVATE_NAME, line).group(0)
        after = lines[lines.index(line) + 1:]
        unlink = next((i for i, l in enumerate(after) if re.search(rf" (mq_)?unlink\({re.escape(name)}\)", l)), None)
        assert unlink is not None and after[unlink].split()[0] == pid, f"{name} is never unlinked by {pid}"
        started = [l for l in after[:unlink] if re.search(r" (clone3?|v?fork)\(", l)]
        assert started == [], f"a process started while {name} existed: {started}"


def test_the_csv_is_the_only_file_opened_for_writing(tmp_path):
    csv_path, lines = traced_calls(tmp_path)
    lines = not_the_sanitizer(lines)
    writing = [l for l in lines if re.search(r" open(at)?\(.*O_(WRONLY|RDWR)", l)]
    outside = [l for l in writing if str(csv_path) not in l and not re.search(r'"/dev/(null|zero|tty)"', l)
               and not re.search(r'"/proc/self/|"/proc/\d+/', l) and not re.search(PRIVATE_NAME, l)]
    assert outside == [], "files opened for writing besides the CSV"
