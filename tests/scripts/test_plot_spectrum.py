"""Tests of scripts/plot_spectrum.py: histogram merge and percentiles, the figures per cell, bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(SCRIPTS))

import plot_spectrum  # noqa: E402
from plot_spectrum import Histogram, merge  # noqa: E402

VALID_KEYS = "transport, mode, placement, payload_bytes, server, wait_policy, architecture, workload, connections, offered_rps"
LOAD_CELL = "tcp/process/cross/64/architecture=epoll/workload=echo/connections=10/offered_rps=2000"


def run_spectrum(*args):
    arguments = [str(FIXTURES / a) if a.endswith(".json") and "/" not in a else a for a in args]
    return subprocess.run([str(SCRIPTS / "plot_spectrum.py"), *arguments], capture_output=True, text=True,
                          cwd=REPO, check=False)


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("plot_spectrum.py: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


# The hand-computed example: shm-spin/thread/cross/64 of spectrum_a.json, two repetitions.
REP_1 = Histogram(4, 100, 200, ((100, 100, 2), (101, 101, 1), (200, 203, 1)))
REP_2 = Histogram(4, 100, 1005, ((100, 100, 1), (200, 203, 2), (1000, 1007, 1)))


def test_merge_adds_the_counts_of_equal_buckets():
    merged = merge([REP_1, REP_2])
    assert merged == Histogram(8, 100, 1005, ((100, 100, 3), (101, 101, 1), (200, 203, 3), (1000, 1007, 1)))


def test_percentiles_are_bucket_midpoints_clamped_to_min_and_max():
    merged = merge([REP_1, REP_2])
    # Ranks ceil(p/100 * 8): p12.5 -> 1, p50 -> 4, p75 -> 6, p90 -> 8.
    assert [merged.percentile(p) for p in (0, 12.5, 37.5, 50, 75, 87.5, 90, 100)] == [
        100, 100, 100, 101, 201, 201, 1003, 1005]
    # The midpoint of [200, 203] is 201, above what the first repetition recorded.
    assert REP_1.percentile(99) == 200
    assert REP_1.percentile(50) == 100


def test_the_spectrum_is_the_cumulative_distribution_by_bucket():
    assert merge([REP_1, REP_2]).spectrum() == [(0.0, 100), (37.5, 100), (50.0, 101), (87.5, 201), (100.0, 1003)]


def test_the_json_cell_is_the_merge_of_its_repetitions():
    run = plot_spectrum.load_run(FIXTURES / "spectrum_a.json", "a")
    spectra = {str(cell): spectrum for cell, spectrum in run.spectra.items()}
    assert set(spectra) == {"shm-spin/thread/cross/64", "pipe/process/same/64", LOAD_CELL}
    assert spectra["shm-spin/thread/cross/64"].histograms == {"rtt": merge([REP_1, REP_2])}
    assert set(spectra[LOAD_CELL].histograms) == {"latency", "uncorrected"}
    pipe = spectra["pipe/process/same/64"]  # its second repetition failed: no histogram
    assert (pipe.measured, pipe.repetitions, pipe.histograms["rtt"].count) == (1, 2, 100)


def test_the_x_axis_is_one_over_one_minus_p_with_the_maximum_on_the_last_tick():
    assert plot_spectrum.spectrum_x(0, 6) == 0
    assert plot_spectrum.spectrum_x(99, 6) == pytest.approx(2)
    assert plot_spectrum.spectrum_x(100, 6) == 6
    assert [plot_spectrum.tick_label(t, 6) for t in range(7)] == [
        "0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "max"]


def test_one_png_per_chosen_cell_for_two_runs(tmp_path):
    result = run_spectrum("spectrum_a.json", "spectrum_b.json", "--label", "before", "--label", "after",
                          "--cell", "transport=shm-spin,mode=thread", "--cell", "architecture=epoll",
                          "--format", "png", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    expected = [tmp_path / f"spectrum_{name}.png" for name in (
        "shm-spin_thread_cross_64", "tcp_process_cross_64_architecture=epoll_workload=echo_connections=10_offered_rps=2000")]
    assert result.stdout.split() == [str(p) for p in expected]
    assert sorted(tmp_path.iterdir()) == expected
    for path in expected:
        assert path.read_bytes().startswith(b"\x89PNG")


def test_runs_are_overlaid_and_load_cells_show_both_histograms(tmp_path):
    report = plot_spectrum.make_plots([FIXTURES / "spectrum_a.json", FIXTURES / "spectrum_b.json"], tmp_path,
                                      ["svg"], ["before", "after"], ["pipe/process", "architecture=epoll"])
    assert report.plots["spectrum_pipe_process_same_64"].series == ["before (1 of 2 repetitions)", "after"]
    load = next(info for name, info in report.plots.items() if "epoll" in name)
    assert load.series == ["before: corrected", "before: uncorrected", "after: corrected", "after: uncorrected"]
    text = load.paths[0].read_text(encoding="utf-8")
    for fact in ("99%", "max", "6.1.0-21-cloud-amd64", "3f2a9c1d7e40", "20261203T093000-1002",
                 "ipcbench run --repetitions 2 --duration 80ms"):
        assert fact in text


def test_every_cell_is_plotted_without_a_filter(tmp_path):
    result = run_spectrum("spectrum_a.json", "--format", "png,svg", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) == 3 * 2


@pytest.mark.parametrize("cell, fragment", [
    ("foo=bar", f"--cell 'foo=bar': 'foo' is not a key; valid keys: {VALID_KEYS}"),
    ("transport=udp", "--cell 'transport=udp' matches no cell with a histogram; cells: pipe/process/same/64"),
    ("shm-spin/thread/cross/big", "'big' is not a size"),
])
def test_a_bad_cell_filter_is_one_line(tmp_path, cell, fragment):
    assert_one_line_error(run_spectrum("spectrum_a.json", "--cell", cell, "-o", str(tmp_path)), fragment)
    assert not list(tmp_path.iterdir())


def test_a_json_without_histograms_is_one_line():
    assert_one_line_error(run_spectrum("spectrum_no_histograms.json"),
                          "spectrum_no_histograms.json: no histograms in any cell")


def test_malformed_histograms_are_one_line(tmp_path):
    document = json.loads((FIXTURES / "spectrum_a.json").read_text())
    document["cells"][0]["repetitions"][0]["histograms"]["rtt"]["count"] = 5
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    assert_one_line_error(run_spectrum(str(bad)), "cell shm-spin/thread/cross/64: histogram 'rtt' bucket counts "
                                                  "sum to 4, its count is 5")
    assert_one_line_error(run_spectrum(str(FIXTURES / "baseline.csv")), "baseline.csv:1: not valid JSON")
