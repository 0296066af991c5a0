"""Tests of scripts/plot_load.py, the figures of `ipcbench load`, and of plot.py on load rows."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(SCRIPTS))

import plot  # noqa: E402
import plot_load  # noqa: E402

FIGURES = ("latency_vs_rate", "p99_vs_connections", "memory_per_connection", "cpu_per_request")
ARCHITECTURES = ["epoll", "reactors"]
RATES = ["2K", "5K", "max"]  # 2000, 5000 and the closed loop


def run(script, *args):
    arguments = [str(FIXTURES / a) if a.endswith(".csv") and "/" not in a else a for a in args]
    return subprocess.run([str(SCRIPTS / script), *arguments], capture_output=True, text=True,
                          cwd=REPO, check=False)


def mixed_csv(tmp_path):
    """One file of ping-pong rows (baseline.csv) and load rows (load.csv), as a run of both writes."""
    with open(FIXTURES / "load.csv", newline="") as load, open(FIXTURES / "baseline.csv", newline="") as ping:
        load_rows, ping_rows = csv.DictReader(load), list(csv.DictReader(ping))
        path = tmp_path / "mixed.csv"
        with open(path, "w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=load_rows.fieldnames, restval="")
            writer.writeheader()
            writer.writerows(ping_rows)
            writer.writerows(load_rows)
    return path


def assert_one_line_error(result, prog, *fragments):
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{prog}: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_writes_all_four_figures_and_prints_their_paths(tmp_path):
    result = run("plot_load.py", "load.csv", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    expected = [tmp_path / f"{name}.{fmt}" for name in FIGURES for fmt in ("png", "svg")]
    assert result.stdout.split() == [str(p) for p in expected]
    for path in expected:
        assert path.stat().st_size > 1000
    assert (tmp_path / "latency_vs_rate.png").read_bytes().startswith(b"\x89PNG")


def test_series_categories_and_panels_of_the_fixture(tmp_path):
    report = plot_load.make_plots([FIXTURES / "load.csv"], tmp_path, formats=["svg"])
    plots = report.plots
    assert list(plots) == list(FIGURES)
    assert report.left_out == 0
    for name in ("latency_vs_rate", "memory_per_connection", "cpu_per_request"):
        assert plots[name].series == ARCHITECTURES
    assert plots["latency_vs_rate"].categories == RATES
    assert plots["cpu_per_request"].categories == RATES
    # The closed loop has no offered rate to put on the connections figure.
    assert plots["p99_vs_connections"].series == ["epoll at 2K/s", "epoll at 5K/s",
                                                  "reactors at 2K/s", "reactors at 5K/s"]
    assert plots["p99_vs_connections"].categories == ["10", "50"]
    assert plots["memory_per_connection"].categories == ["10", "50"]
    per_connections = ["echo, 64 B, 10 connections", "echo, 64 B, 50 connections",
                       "kv, 64 B, 10 connections", "kv, 64 B, 50 connections"]
    assert plots["latency_vs_rate"].panels == per_connections
    assert plots["cpu_per_request"].panels == per_connections
    assert plots["p99_vs_connections"].panels == ["echo, 64 B", "kv, 64 B"]


def test_svg_says_what_is_drawn(tmp_path):
    plot_load.make_plots([FIXTURES / "load.csv"], tmp_path, formats=["svg"])
    knee = (tmp_path / "latency_vs_rate.svg").read_text(encoding="utf-8")
    for text in ("corrected p99 (from each request's due time)", "uncorrected p99 (from the actual send)",
                 "closed loop (--rate max), at its achieved rate", "SLO: p99 1 ms", ">2K<", ">5K<",
                 "AMD EPYC", "ipcbench 0.1.0", "35414dc6e66b"):
        assert text in knee
    memory = (tmp_path / "memory_per_connection.svg").read_text(encoding="utf-8")
    assert "active: at the end of the window" in memory and "KiB per connection" in memory


def test_slo_option_moves_the_line(tmp_path):
    result = run("plot_load.py", "load.csv", "--slo-ms", "2.5", "--format", "svg", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "SLO: p99 2.5 ms" in (tmp_path / "latency_vs_rate.svg").read_text(encoding="utf-8")


def test_the_same_input_gives_the_same_svg(tmp_path):
    for out in ("a", "b"):
        plot_load.make_plots([FIXTURES / "load.csv"], tmp_path / out, formats=["svg"])
    for name in FIGURES:
        assert (tmp_path / "a" / f"{name}.svg").read_bytes() == (tmp_path / "b" / f"{name}.svg").read_bytes()


def test_two_files_give_two_series_per_architecture(tmp_path):
    report = plot_load.make_plots([FIXTURES / "load.csv", mixed_csv(tmp_path)], tmp_path / "out",
                                  formats=["svg"], labels=["before", "after"])
    assert report.plots["latency_vs_rate"].series == ["before: epoll", "after: epoll",
                                                      "before: reactors", "after: reactors"]
    assert len(report.plots["p99_vs_connections"].series) == 2 * 2 * 2  # files, architectures, rates
    svg = (tmp_path / "out" / "cpu_per_request.svg").read_text(encoding="utf-8")
    assert "after: reactors" in svg


def test_ping_pong_rows_are_ignored(tmp_path):
    report = plot_load.make_plots([mixed_csv(tmp_path)], tmp_path / "out", formats=["svg"])
    assert report.plots["latency_vs_rate"].series == ARCHITECTURES
    assert report.left_out == 0  # baseline.csv's skipped io_uring cell is not a load cell


def test_failed_load_cells_are_left_out_and_counted(tmp_path):
    lines = (FIXTURES / "load.csv").read_text().splitlines()
    failed = tmp_path / "failed.csv"
    # Every row of reactors/kv/10 connections/5000/s, as a cell whose repetitions all failed writes them.
    cell = ",reactors,kv,10,5000,"
    failed.write_text("\n".join(l if cell not in l else l.replace(",ok,,", ",failed,server died,") for l in lines)
                      + "\n")
    report = plot_load.make_plots([failed], tmp_path / "out", formats=["svg"])
    assert report.left_out == 1
    svg = (tmp_path / "out" / "cpu_per_request.svg").read_text(encoding="utf-8")
    assert "1 failed or skipped cell(s) not shown: failed: tcp/process/cross/64/architecture=reactors" in svg


def test_a_file_without_load_rows_is_a_one_line_error(tmp_path):
    assert_one_line_error(run("plot_load.py", "baseline.csv", "-o", str(tmp_path / "out")), "plot_load.py",
                          "nothing to plot: no load rows")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, fragment", [
    (["load.csv", "--format", "pdf"], "--format 'pdf'"),
    (["load.csv", "--format", "png,"], "--format 'png,'"),
    (["load.csv", "--slo-ms", "0"], "'0' is not a positive number"),
    (["load.csv", "--label", "a", "--label", "b"], "2 --label values for 1 files"),
    (["empty.csv"], "empty.csv:1: empty file"),
])
def test_usage_errors_exit_2_with_one_line(tmp_path, args, fragment):
    assert_one_line_error(run("plot_load.py", *args, "-o", str(tmp_path)), "plot_load.py", fragment)


def test_plot_py_refuses_a_load_only_file_in_one_line(tmp_path):
    assert_one_line_error(run("plot.py", "load.csv", "-o", str(tmp_path / "out")), "plot.py",
                          "nothing to plot: no ping-pong rows")
    assert not (tmp_path / "out").exists()


def test_plot_py_draws_only_the_ping_pong_rows_of_a_mixed_file(tmp_path):
    report = plot.make_plots([mixed_csv(tmp_path)], tmp_path / "out", formats=["svg"])
    assert report.plots["msgs_per_s"].series == ["thread/cross", "thread/same", "process/cross", "process/same"]
    assert "tcp" not in report.plots["msgs_per_s"].categories
    assert report.left_out == 1  # io_uring, as in baseline.csv alone
