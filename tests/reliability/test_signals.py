"""SIGINT, SIGTERM and SIGKILL to ipcbench in the middle of a suite: whole CSV rows, finished cells kept, nothing left running."""

import os
import signal

import pytest

from cli_support import assert_no_survivors, read_csv, start, wait_for, workers_running

# Eight cells of about 0.3 s each: long enough to be caught in the middle of one.
SUITE = ["run", "-t", "pipe,unix,shm-sem,tcp", "-m", "thread,process", "-p", "same", "--duration", "120ms",
         "--repetitions", "1", "--quiet"]


def data_rows(path):
    if not path.exists():
        return 0
    return max(0, path.read_bytes().count(b"\r\n") - 1)


def interrupt_mid_suite(tmp_path, send):
    """Starts the suite, waits until a cell has finished and the next one's workers run, calls send(process)."""
    csv_path = tmp_path / "interrupted.csv"
    process = start([*SUITE, "--csv", str(csv_path)])
    try:
        wait_for(lambda: data_rows(csv_path) >= 2 and workers_running(process.pid), 60, "a finished cell")
        before = read_csv(csv_path)
        send(process)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert_no_survivors(process.pid)
    return process.returncode, stdout, stderr, before, read_csv(csv_path)


def assert_finished_cells_kept(before, after):
    assert after[:len(before)] == before, "rows written before the signal changed"
    assert len(after) < 16, "the suite was not interrupted: every cell is there"
    finished = [r for r in after if r["row"] == "aggregate"]
    assert finished and all(r["status"] == "ok" for r in finished), [(r["transport"], r["reason"]) for r in finished]
    # The repetition cut short is not a failed cell: it has no row at all.
    assert all(r["status"] == "ok" for r in after), [r["reason"] for r in after if r["status"] != "ok"]


@pytest.mark.parametrize("signum, status, name", [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")])
def test_signal_to_ipcbench_stops_the_suite_and_keeps_finished_cells(tmp_path, signum, status, name):
    code, _, stderr, before, after = interrupt_mid_suite(tmp_path, lambda p: p.send_signal(signum))
    assert code == status, stderr
    assert f"ipcbench: interrupted by {name}; finished cells were kept" in stderr
    assert_finished_cells_kept(before, after)


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_to_the_whole_process_group_as_a_terminal_sends_it(tmp_path, signum, status):
    # Ctrl-C reaches the workers too, and they die of it: that is an interruption, not a
    # failed cell.
    code, _, stderr, before, after = interrupt_mid_suite(tmp_path, lambda p: os.killpg(p.pid, signum))
    assert code == status, stderr
    assert_finished_cells_kept(before, after)


def test_sigkill_to_ipcbench_leaves_whole_rows_and_no_workers(tmp_path):
    # Nothing can be cleaned up after SIGKILL: the workers die with their parent (PDEATHSIG)
    # and every row on disk was written whole.
    code, _, _, before, after = interrupt_mid_suite(tmp_path, lambda p: p.send_signal(signal.SIGKILL))
    assert code == -signal.SIGKILL
    assert after[:len(before)] == before
    assert all(r["status"] == "ok" for r in after)


def test_a_second_signal_while_stopping_changes_nothing(tmp_path):
    def twice(process):
        process.send_signal(signal.SIGINT)
        process.send_signal(signal.SIGTERM)

    code, _, stderr, before, after = interrupt_mid_suite(tmp_path, twice)
    assert code in (130, 143), stderr
    assert_finished_cells_kept(before, after)
