"""The Python side of the result schema (scripts/ipcbench_csv.py) against the binary's (`ipcbench schema`, a real CSV) and the docs."""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from ipcbench_csv import SCHEMA, load_file  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(name="binary")
def fixture_binary():
    binary = os.environ.get("IPCBENCH_BIN", "")
    if not binary:
        pytest.skip("IPCBENCH_BIN is not set: ctest sets it to the ipcbench under test")
    return binary


def binary_schema(binary):
    text = subprocess.run([binary, "schema"], capture_output=True, text=True, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    return tuple((r["column"], r["unit"], r["kind"]) for r in rows)


def test_python_schema_is_the_binarys(binary):
    assert binary_schema(binary) == SCHEMA


def test_a_real_csv_header_is_the_schema_and_loads(binary, tmp_path):
    path = tmp_path / "run.csv"
    subprocess.run([binary, "run", "-t", "pipe", "-m", "thread", "-p", "same", "--round-trips", "50",
                    "--repetitions", "2", "--table", "none", "--quiet", "--csv", str(path)], check=True)
    header = path.read_text().splitlines()[0].split(",")
    assert tuple(header) == tuple(name for name, _, _ in SCHEMA)
    result = load_file(path)
    assert [str(c) for c in result.cells()] == ["pipe/thread/same/64"]


def test_busy_poll_is_a_cell_of_its_own(binary, tmp_path):
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("busy-poll cells need two CPUs")
    path = tmp_path / "waits.csv"
    subprocess.run([binary, "run", "-t", "pipe", "-m", "thread", "-p", "cross", "--wait", "own,busy-poll",
                    "--round-trips", "50", "--repetitions", "1", "--table", "none", "--quiet", "--csv", str(path)],
                   check=True)
    result = load_file(path)
    assert sorted(str(c) for c in result.cells()) == ["pipe/thread/cross/64", "pipe/thread/cross/64/wait_policy=busy-poll"]
    waits = {(r["wait_policy"], r["wait"]) for r in csv.DictReader(path.open()) if r["row"] == "aggregate"}
    assert waits == {("", "block"), ("busy-poll", "busy-poll")}


def test_every_column_is_documented():
    documented = (ROOT / "docs" / "csv-schema.md").read_text()
    missing = [name for name, _, _ in SCHEMA if f"`{name}`" not in documented]
    assert not missing, f"docs/csv-schema.md does not describe {missing}"


def test_a_new_key_dimension_keeps_rows_apart(tmp_path):
    names = [name for name, _, _ in SCHEMA]
    rows = []
    for server in ("a:1", "b:2"):
        values = dict.fromkeys(names, "")
        values.update(transport="tcp", mode="host", placement="none", payload_bytes="64", server=server,
                      row="rep", repetition="1", status="ok", msgs_per_s="1000", rtt_p50_ns="900", rtt_p99_ns="950")
        rows.append(",".join(values[n] for n in names))
    path = tmp_path / "two_servers.csv"
    path.write_text("\r\n".join([",".join(names), *rows]) + "\r\n")
    cells = load_file(path).cells()
    assert [str(c) for c in cells] == ["tcp/host/none/64/server=a:1", "tcp/host/none/64/server=b:2"]
