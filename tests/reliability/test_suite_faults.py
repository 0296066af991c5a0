"""A fault in one cell of a real ipcbench suite: that cell fails with its reason, every other cell still runs."""

import pytest

from cli_support import aggregates, armed, read_csv, run

CELLS = [(t, m) for t in ("pipe", "unix", "eventfd") for m in ("thread", "process")]
REASONS = {
    "kill": "killed by SIGKILL during the throughput pass",
    "stop": "stopped (SIGSTOP) during the throughput pass",
    "exit": "exited early with status 0 during the throughput pass",
}


@pytest.mark.parametrize("action", ["kill", "stop", "exit"])
@pytest.mark.parametrize("side", ["client", "server"])
def test_a_faulty_cell_fails_and_the_rest_of_the_suite_runs(tmp_path, side, action):
    csv_path = tmp_path / "suite.csv"
    # A stopped side is caught only by the stall deadline, so it gets a short one. The others
    # end at once, but not sooner than their process exits, which under TSan takes a second
    # (atexit_sleep_ms): the default deadline leaves room for that.
    deadline = ["--peer-timeout", "500ms"] if action == "stop" else []
    status, stdout, stderr = run(["run", "-t", "pipe,unix,eventfd", "-m", "thread,process", "-p", "same",
                                  "--round-trips", "300", "--repetitions", "2", *deadline,
                                  "--inject-fault", f"unix:{side}:{action}:throughput",
                                  "--csv", str(csv_path)], program=[armed()])
    assert status == 1, stderr
    assert stderr.strip().splitlines()[-1] == "ipcbench: 2 cell(s) failed", stderr

    rows = read_csv(csv_path)
    cells = aggregates(rows)
    assert set(cells) == {(t, m, "same") for t, m in CELLS}
    for (transport, mode, _), row in cells.items():
        if transport != "unix":
            assert row["status"] == "ok", row["reason"]
            assert row["repetition"] == "2"  # both repetitions ran despite the failure between them
            continue
        assert row["status"] == "failed"
        role = "worker" if mode == "thread" else side
        assert row["reason"].startswith(f"{role} (pid "), row["reason"]
        assert REASONS[action] in row["reason"], row["reason"]
    # A failed cell is not repeated: one rep row and its aggregate.
    assert sum(1 for r in rows if r["transport"] == "unix" and r["row"] == "rep") == 2
    assert "FAILED" in stdout  # the table shows it too
