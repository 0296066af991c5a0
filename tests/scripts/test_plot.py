"""Tests of scripts/plot.py: which figures are written, what they show, and bad input."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(SCRIPTS))

import plot  # noqa: E402
from ipcbench_csv import Cell, load_file  # noqa: E402

BASELINE_TRANSPORTS = {"memcpy", "shm-spin", "epoll", "pipe", "unix", "shm-sem"}
PLACEMENTS = ["thread/cross", "thread/same", "process/cross", "process/same"]


def run_plot(*args):
    arguments = [str(FIXTURES / a) if a.endswith(".csv") else a for a in args]
    return subprocess.run([str(SCRIPTS / "plot.py"), *arguments], capture_output=True, text=True,
                          cwd=REPO, check=False)


def svg_text(path):
    return path.read_text(encoding="utf-8")


def test_writes_png_and_svg_of_both_figures_and_prints_their_paths(tmp_path):
    result = run_plot("baseline.csv", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    names = ("msgs_per_s", "latency_ladder")
    expected = [tmp_path / f"{name}.{fmt}" for name in names for fmt in ("png", "svg")]
    assert result.stdout.split() == [str(p) for p in expected]
    for path in expected:
        assert path.stat().st_size > 1000
    assert (tmp_path / "msgs_per_s.png").read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "payload_sweep.png").exists()  # one payload size: no sweep


def test_series_and_categories_of_one_file(tmp_path):
    report = plot.make_plots([FIXTURES / "baseline.csv"], tmp_path)
    assert set(report.plots) == {"msgs_per_s", "latency_ladder"}
    for info in report.plots.values():
        assert info.series == PLACEMENTS
        assert set(info.categories) == BASELINE_TRANSPORTS
    # Fastest first: the bars read as a ranking.
    assert report.plots["msgs_per_s"].categories[0] == "memcpy"
    assert report.left_out == 1  # io_uring was skipped


def test_svg_names_every_transport_and_the_machine(tmp_path):
    plot.make_plots([FIXTURES / "baseline.csv"], tmp_path, formats=["svg"])
    for name in ("msgs_per_s", "latency_ladder"):
        text = svg_text(tmp_path / f"{name}.svg")
        for transport in BASELINE_TRANSPORTS:
            assert f">{transport}<" in text
        for fact in ("Intel(R) Xeon(R) CPU @ 2.20GHz", "2 CPUs", "6.1.0-21-cloud-amd64", "kvm",
                     "ipcbench 0.1.0", "3f2a9c1d7e40", "timer tsc"):
            assert fact in text
        assert "1 failed or skipped cell(s) not shown: baseline: io_uring/process/cross/64" in text


def test_axes_carry_units(tmp_path):
    plot.make_plots([FIXTURES / "baseline.csv"], tmp_path, formats=["svg"])
    assert "round trips per second" in svg_text(tmp_path / "msgs_per_s.svg")
    ladder = svg_text(tmp_path / "latency_ladder.svg")
    assert "round-trip time" in ladder
    assert ">1 us<" in ladder or ">10 us<" in ladder
    for percentile in ("p50", "p90", "p99", "p99.9", "p99.99"):
        assert f">{percentile}<" in ladder


def test_several_files_plot_side_by_side_labelled_by_stem(tmp_path):
    report = plot.make_plots([FIXTURES / "baseline.csv", FIXTURES / "slow_machine.csv"], tmp_path)
    series = report.plots["msgs_per_s"].series
    assert "baseline: thread/cross" in series
    assert "slow_machine: thread/cross" in series
    assert len(series) == 2 * len(PLACEMENTS)
    text = svg_text(tmp_path / "msgs_per_s.svg")
    assert "AMD EPYC 7B12" in text and "Intel(R) Xeon(R)" in text


def test_labels_replace_file_stems(tmp_path):
    result = run_plot("baseline.csv", "regression.csv", "--label", "main", "--label", "pr-42",
                      "-o", str(tmp_path), "--format", "svg")
    assert result.returncode == 0, result.stderr
    text = svg_text(tmp_path / "msgs_per_s.svg")
    assert "pr-42: process/same" in text and "main: thread/cross" in text


def test_payload_sweep_only_when_sizes_vary(tmp_path):
    report = plot.make_plots([FIXTURES / "sweep_reps_only.csv"], tmp_path)
    sweep = report.plots["payload_sweep"]
    assert sweep.categories == ["64", "1024", "65536"]
    assert set(sweep.series) == {"pipe process/same", "unix process/same", "shm-spin thread/cross"}
    assert (tmp_path / "payload_sweep.png").stat().st_size > 1000
    text = svg_text(tmp_path / "payload_sweep.svg")
    assert "shm-spin thread/cross" in text and "64 KiB" in text
    # The bar and ladder figures show the smallest size.
    assert "64 B each way" in svg_text(tmp_path / "msgs_per_s.svg")


def test_without_aggregate_rows_the_median_of_repetitions_is_used():
    result = load_file(FIXTURES / "sweep_reps_only.csv")
    cell = Cell("pipe", "process", "same", 1024)
    reps = sorted(r.values["msgs_per_s"] for r in result.ok_reps(cell))
    assert result.aggregate(cell) is None
    assert result.summary_value(cell, "msgs_per_s") == reps[1]


def test_aggregate_rows_are_preferred():
    result = load_file(FIXTURES / "baseline.csv")
    cell = Cell("epoll", "thread", "same", 64)
    assert result.summary_value(cell, "msgs_per_s") == result.aggregate(cell).values["msgs_per_s"]


def test_failed_cells_are_left_out_and_counted(tmp_path):
    report = plot.make_plots([FIXTURES / "failed.csv"], tmp_path, formats=["svg"])
    assert report.left_out == 2
    assert "shm-sem" not in report.plots["msgs_per_s"].categories
    text = svg_text(tmp_path / "msgs_per_s.svg")
    assert "2 failed or skipped cell(s) not shown" in text
    assert "failed: shm-sem/process/cross/64" in text


def test_format_option_limits_the_files(tmp_path):
    result = run_plot("baseline.csv", "-o", str(tmp_path / "out"), "--format", "svg")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["latency_ladder.svg", "msgs_per_s.svg"]


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("plot.py: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("name, fragment", [
    ("missing_column.csv", "missing_column.csv:1: missing required column(s): rtt_p99_ns"),
    ("non_numeric.csv", "non_numeric.csv:5: msgs_per_s '7.12K' is not a number"),
    ("empty.csv", "empty.csv:1: empty file"),
    ("binary.csv", "binary.csv:1: not a text CSV file"),
    ("does_not_exist.csv", "does_not_exist.csv: cannot read"),
])
def test_malformed_csv_exits_2_with_one_line(tmp_path, name, fragment):
    assert_one_line_error(run_plot("baseline.csv", name, "-o", str(tmp_path)), fragment)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("args, fragment", [
    (["baseline.csv", "--label", "a", "--label", "b"], "2 --label values for 1 files"),
    (["baseline.csv", "--format", "pdf"], "--format 'pdf'"),
    ([], "required"),
])
def test_usage_errors_exit_2_with_one_line(tmp_path, args, fragment):
    assert_one_line_error(run_plot(*args, "-o", str(tmp_path)), fragment)


def test_nothing_to_plot_is_an_error(tmp_path):
    lines = (FIXTURES / "failed.csv").read_text().splitlines()
    only_failed = tmp_path / "only_failed.csv"
    only_failed.write_text("\n".join([lines[0]] + [l for l in lines if ",failed," in l]) + "\n")
    assert_one_line_error(run_plot(str(only_failed), "-o", str(tmp_path / "out")), "nothing to plot")


def test_plots_the_harness_own_output(tmp_path):
    report = plot.make_plots([FIXTURES / "harness_output.csv"], tmp_path, formats=["svg"])
    assert set(report.plots["msgs_per_s"].categories) == {"memcpy", "shm-spin"}
    assert report.plots["msgs_per_s"].series == ["thread/cross", "thread/same"]
