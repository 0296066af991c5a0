#!/usr/bin/python3
"""The CI performance-regression gate: compares two ipcbench CSV files cell by cell."""

import argparse
import json
import math
import statistics
import sys
from dataclasses import asdict, dataclass

from ipcbench_csv import Cell, CsvError, load_file, fail, OneLineParser, parse_cell, run_script

# metric -> (higher is better, default threshold in percent)
# Ping-pong rows carry the first three, load rows (`ipcbench load`) the next two, fan-out rows
# (`ipcbench fanout`) the last three; a metric a row does not carry is not compared.
METRICS = {
    "msgs_per_s": (True, 10.0),
    "rtt_p50_ns": (False, 10.0),
    "rtt_p99_ns": (False, 25.0),
    "achieved_rps": (True, 10.0),
    "latency_p99_ns": (False, 25.0),
    "published_per_s": (True, 10.0),
    "last_p50_ns": (False, 10.0),
    "last_p99_ns": (False, 25.0),
}
# At a fixed offered rate a server delivers that rate or falls short of it, whatever the
# host's wake-up costs; a load cell's latency moves with them as a cross-CPU hand-off does.
VM_ROBUST_METRICS = ("achieved_rps",)
# Verdicts of a baseline cell without a usable measurement in NEW.
ABSENT_VERDICTS = ("missing", "failed", "skipped")
MIN_REPS_FOR_U_TEST = 4
# Up to this many values in total the U test's null distribution is counted exactly.
EXACT_LIMIT = 30
PROG = "compare.py"


class UsageError(Exception):
    """Bad input argparse cannot see: a bad --threshold, a missing reference cell, an empty baseline."""


@dataclass
class Verdict:
    cell: str
    metric: str
    baseline_median: float | None
    new_median: float | None
    change_pct: float | None
    verdict: str
    test: str
    p_value: float | None
    baseline_n: int
    new_n: int
    regression: bool = False


def main(argv=None):
    args = parse_args(argv)
    try:
        thresholds = parse_thresholds(args.threshold, args.metrics)
        reference = args.normalize_by
        baselines, new = [load_file(path) for path in args.baseline], load_file(args.new)
        for baseline in baselines:
            if not baseline.rows_by_cell:
                raise UsageError(f"{baseline.path}: no cells to compare against")
        base_series = [per_repetition_series(b, args.metrics, reference) for b in baselines]
        new_series = per_repetition_series(new, args.metrics, reference)
    except (CsvError, UsageError) as error:
        return fail(PROG, error)
    verdicts, new_cells = compare_files(baselines, new, base_series, new_series, thresholds, args)
    for path, write in ((args.json, write_json), (args.markdown, write_markdown)):
        if path:
            try:
                write(path, verdicts, new_cells, thresholds, args)
            except OSError as error:
                return fail(PROG, f"cannot write {path}: {error.strerror or error}")
    print_report(verdicts, new_cells, args, reference)
    if args.github_annotations:
        print_annotations(verdicts, reference is not None)
    regressions = sum(v.regression for v in verdicts)
    return 1 if regressions and not args.no_fail else 0


def parse_args(argv):
    parser = OneLineParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("baseline", nargs="+", metavar="BASELINE.csv",
                        help="one or more baseline runs: with several, a change must pass the threshold "
                             "against every run's median (their run-to-run spread)")
    parser.add_argument("new", metavar="NEW.csv")
    parser.add_argument("--metrics", type=metric_list, default=list(METRICS),
                        help=f"comma-separated subset of {','.join(METRICS)} (default: all)")
    parser.add_argument("--threshold", action="append", default=[], metavar="METRIC=PCT",
                        help="relative change a metric must pass to count, repeatable "
                             "(defaults: " + ", ".join(f"{m}={t:g}" for m, (_, t) in METRICS.items()) + ")")
    parser.add_argument("--alpha", type=probability, default=0.01,
                        help="significance level of the two-sided U test (default 0.01: with 5 repetitions a "
                             "side, only repetitions that do not overlap at all; a run compares ~150 cells "
                             "and metrics, so 0.05 would flag several by chance)")
    parser.add_argument("--normalize-by", type=reference_spec, metavar="TRANSPORT[/MODE/PLACEMENT/SIZE]",
                        help="divide each repetition by this cell's value in the same repetition; a transport "
                             "alone means that transport in each cell's own mode, placement and size "
                             "(spinners are divided by their cache-line floor, memcpy by nothing)")
    parser.add_argument("--gate-vm-wakeups", action="store_true",
                        help="on a virtual machine, also fail on blocking cells under cross placement (by "
                             "default a change there is reported as noisy: each hand-off wakes a halted vCPU, "
                             "whose cost moves 2-8x with the host)")
    parser.add_argument("--allow-missing", action="store_true",
                        help="baseline cells missing or failed in NEW are reported, not regressions")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even on regressions")
    parser.add_argument("--json", metavar="FILE", help="also write the verdicts as JSON")
    parser.add_argument("--markdown", metavar="FILE",
                        help="also write the verdicts as a GitHub-flavoured markdown table, regressions first")
    parser.add_argument("--github-annotations", action="store_true",
                        help="after the report, print a GitHub workflow command per regression (::error) "
                             "and per missing, failed or skipped cell (::warning)")
    return parser.parse_args(argv)


def metric_list(text):
    metrics = [m.strip() for m in text.split(",")]
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not all(metrics):
        raise argparse.ArgumentTypeError(f"'{text}': choose from {', '.join(METRICS)}")
    return list(dict.fromkeys(metrics))


def reference_spec(text):
    if text and "/" not in text:
        return text
    return cell_spec(text)


def cell_spec(text):
    try:
        return parse_cell(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def probability(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a probability between 0 and 1")
    return value


def parse_thresholds(overrides, metrics):
    thresholds = {m: METRICS[m][1] for m in metrics}
    for item in overrides:
        metric, _, pct = item.partition("=")
        if metric not in METRICS:
            raise UsageError(f"--threshold '{item}': metric must be one of {', '.join(METRICS)}")
        try:
            value = float(pct.rstrip("%"))
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise UsageError(f"--threshold '{item}': '{pct}' is not a percentage >= 0")
        if metric in thresholds:
            thresholds[metric] = value
    return thresholds


def per_repetition_series(result, metrics, reference):
    """{cell: {metric: [value per ok repetition]}}, each divided by its in-run reference.

    The reference is one cell (TRANSPORT/MODE/PLACEMENT/SIZE), or a transport name meaning
    that transport in each cell's own mode, placement and size: a phase of the host that
    makes every cross-CPU wake-up slower then cancels out. Whatever the reference, a row that
    carries the cache-line floor measured beside it (a spinner under cross) has its rate divided
    by that floor and its percentiles left raw, and a row that waits for nothing (memcpy) is left
    raw: neither depends on wake-ups.
    """
    if isinstance(reference, Cell):
        if not result.ok_reps(reference):
            state = "has no ok repetitions" if reference in result.rows_by_cell else "is missing"
            raise UsageError(f"{result.path}: reference cell {reference} {state}")
    elif reference is not None and not any(c.transport == reference for c in result.cells()):
        raise UsageError(f"{result.path}: reference transport {reference} is missing")
    series = {}
    for cell in result.cells():
        if reference is not None and cell_is_reference(cell, reference):
            continue
        reference_reps = {}
        if reference is not None:
            own = reference if isinstance(reference, Cell) else cell.like(reference)
            reference_reps = {r.repetition: r for r in result.ok_reps(own)}
        series[cell] = {m: values_of(result.ok_reps(cell), m, reference_reps, reference is not None) for m in metrics}
    return series


def cell_is_reference(cell, reference):
    return cell == reference if isinstance(reference, Cell) else cell.transport == reference


def values_of(rows, metric, reference_reps, normalise):
    values = []
    for row in rows:
        value = row.values.get(metric)
        if value is None:
            continue
        if normalise and row.values.get("floor_rtt_ns"):
            # The floor is a mean over many round trips, as msgs_per_s is, and moves with the
            # host's steal time as it does; a spinner's percentiles hold still (180 ns p50 on
            # this VM while the floor swung 90 ns - 1.3 us), so only the rate is divided.
            if metric == "msgs_per_s":
                value = value * row.values["floor_rtt_ns"] / 1e9
        elif normalise and row.wait != "none":
            ref = reference_reps.get(row.repetition)
            divisor = ref.values.get(metric) if ref else None
            if not divisor:
                continue  # no reference in this repetition: it cannot be normalised
            value /= divisor
        values.append(value)
    return values


def compare_files(baselines, new, base_series, new_series, thresholds, args):
    verdicts = []
    cells = sorted({cell for series in base_series for cell in series})
    for cell in cells:
        # The runs that measured this cell successfully; a cell failed in every baseline run
        # holds NEW to nothing.
        runs = [series[cell] for b, series in zip(baselines, base_series) if cell in series and b.is_ok(cell)]
        if not runs:
            continue
        state = new.cell_status(cell)
        vm_wakeup = not args.gate_vm_wakeups and is_vm_wakeup(cell, baselines, new)
        for metric in runs[0]:
            base_runs = [run[metric] for run in runs if run[metric]]
            if not base_runs:
                continue
            if state != "ok":
                pooled = [v for run in base_runs for v in run]
                verdicts.append(absent_verdict(cell, metric, pooled, state, not args.allow_missing))
            else:
                verdict = judge(cell, metric, base_runs, new_series[cell][metric], thresholds[metric], args.alpha)
                if vm_wakeup and metric not in VM_ROBUST_METRICS and verdict.verdict in ("slower", "faster"):
                    verdict.verdict, verdict.test, verdict.regression = "noisy", "vm", False
                verdicts.append(verdict)
    known = {cell for series in base_series for cell in series}
    new_cells = [str(c) for c in new_series if c not in known]
    return verdicts, new_cells


def is_vm_wakeup(cell, baselines, new):
    """A blocking hand-off between two vCPUs: its cost is the hypervisor's, and moves with the host."""
    if cell.placement != "cross":
        return False
    rows = [row for result in (*baselines, new) for row in result.rows_by_cell.get(cell, [])]
    blocking = any(row.wait in ("block", "yield") for row in rows)
    virtual = any(result.manifest.get("virtualization", "none") not in ("none", "") for result in (*baselines, new))
    return blocking and virtual


def absent_verdict(cell, metric, base_values, state, regression=True):
    return Verdict(str(cell), metric, statistics.median(base_values), None, None, state,
                   "", None, len(base_values), 0, regression)


def judge(cell, metric, base_runs, new_values, threshold, alpha):
    """One metric of one cell: past the threshold against every baseline run, and out of the spread?"""
    base_values = [v for run in base_runs for v in run]
    if not new_values:
        return absent_verdict(cell, metric, base_values, "failed")
    base_median, new_median = statistics.median(base_values), statistics.median(new_values)
    change_pct = relative_change_pct(base_median, new_median)
    # Against each baseline run's median: between runs a shared host moves more than within one.
    run_changes = [relative_change_pct(statistics.median(run), new_median) for run in base_runs]
    past_every_run = all(c > 0 for c in run_changes) or all(c < 0 for c in run_changes)
    test, p_value = "", None
    # The epsilon keeps a change of exactly the threshold (25.0% vs 24.999999%) on the counting side.
    if abs(change_pct) + 1e-9 < threshold:
        verdict = "same"
    elif not past_every_run or min(abs(c) for c in run_changes) + 1e-9 < threshold:
        verdict = "noisy"
        test = "runs"
    else:
        test, p_value, stands_out = spread_test(base_values, new_values, new_median > base_median, alpha)
        if not stands_out:
            verdict = "noisy"
        elif (change_pct > 0) == METRICS[metric][0]:
            verdict = "faster"
        else:
            verdict = "slower"
    return Verdict(str(cell), metric, base_median, new_median, change_pct, verdict, test, p_value,
                   len(base_values), len(new_values), verdict == "slower")


def relative_change_pct(base, new):
    if base == 0:
        return 0.0 if new == 0 else math.copysign(math.inf, new)
    return (new - base) / abs(base) * 100.0


def spread_test(base_values, new_values, new_is_higher, alpha):
    """(test name, p-value or None, whether NEW stands out of the baseline's spread)."""
    if min(len(base_values), len(new_values)) >= MIN_REPS_FOR_U_TEST:
        p_value = mann_whitney_p(base_values, new_values)
        return "U", p_value, p_value < alpha
    if new_is_higher:
        apart = min(new_values) > max(base_values)
    else:
        apart = max(new_values) < min(base_values)
    return "range", None, apart


def mann_whitney_p(base_values, new_values):
    """Two-sided p-value of the Mann-Whitney U test (exact for small samples, ties included)."""
    ranks = mid_ranks(base_values + new_values)
    # Doubled mid-ranks are integers even with ties, so the exact count can index lists by them.
    doubled = [round(2 * r) for r in ranks]
    new_sum = sum(doubled[len(base_values):])
    if len(doubled) <= EXACT_LIMIT:
        return exact_rank_sum_p(doubled, len(new_values), new_sum)
    return normal_rank_sum_p(ranks, len(base_values), len(new_values), new_sum / 2)


def mid_ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def exact_rank_sum_p(doubled_ranks, n_new, observed):
    """Two-sided P(a random n_new of the pooled ranks sums as far from the middle as observed)."""
    total = sum(doubled_ranks)
    # ways[k][s]: subsets of k of the ranks seen so far whose doubled sum is s
    ways = [[0] * (total + 1) for _ in range(n_new + 1)]
    ways[0][0] = 1
    for rank in doubled_ranks:
        for k in range(n_new, 0, -1):
            below, row = ways[k - 1], ways[k]
            for s in range(total - rank, -1, -1):
                if below[s]:
                    row[s + rank] += below[s]
    counts = ways[n_new]
    upper, lower = sum(counts[observed:]), sum(counts[:observed + 1])
    return min(1.0, 2 * min(upper, lower) / sum(counts))


def normal_rank_sum_p(ranks, n_base, n_new, new_sum):
    """Two-sided p-value from the normal approximation, with tie and continuity corrections."""
    n = n_base + n_new
    mean = n_new * (n + 1) / 2
    tie_term = sum(t ** 3 - t for t in tie_group_sizes(ranks))
    variance = n_base * n_new / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    if variance <= 0:
        return 1.0  # every value is the same
    z = max(0.0, abs(new_sum - mean) - 0.5) / math.sqrt(variance)
    return math.erfc(z / math.sqrt(2))


def tie_group_sizes(ranks):
    sizes = {}
    for rank in ranks:
        sizes[rank] = sizes.get(rank, 0) + 1
    return sizes.values()


def normalisation_note(reference):
    what = reference if isinstance(reference, Cell) else f"{reference} in the same mode, placement and size"
    return (f"values are ratios to {what} in the same repetition of the same file, spinners' to their "
            "cache-line floor, memcpy's raw (the reference itself is not compared)")


def counts_text(verdicts):
    counts = {name: sum(v.verdict == name for v in verdicts) for name in ("faster", "noisy", "same")}
    return (f"{sum(v.regression for v in verdicts)} regressions, {counts['faster']} improvements, "
            f"{counts['noisy']} noisy, {counts['same']} same")


def print_report(verdicts, new_cells, args, reference):
    if reference is not None:
        print(normalisation_note(reference))
    rows = [("cell", "metric", "baseline", "new", "change", "verdict", "evidence")]
    rows += [table_row(v, reference is not None) for v in verdicts]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(text.ljust(width) for text, width in zip(row, widths)).rstrip())
    for cell in new_cells:
        print(f"new cell (not in baseline): {cell}")
    print(f"compare: {counts_text(verdicts)}")


def table_row(v, normalised):
    change = "-" if v.change_pct is None else f"{v.change_pct:+.1f}%"
    allowed = v.verdict in ABSENT_VERDICTS and not v.regression
    verdict = f"{v.verdict} (allowed)" if allowed else v.verdict
    evidence = f"n={v.baseline_n}/{v.new_n}"
    if v.test == "U":
        evidence += f" U p={v.p_value:.3g}"
    elif v.test == "range":
        evidence += " min/max ranges"
    elif v.test == "runs":
        evidence += " within the baseline runs' spread"
    elif v.test == "vm":
        evidence += " cross-CPU wake-up on a VM, not gated"
    return (v.cell, v.metric, format_value(v.metric, v.baseline_median, normalised),
            format_value(v.metric, v.new_median, normalised), change, verdict, evidence)


def format_value(metric, value, normalised):
    if value is None:
        return "-"
    if normalised:
        return f"{value:.4g}x"
    if METRICS[metric][0]:  # the higher-is-better metrics are rates
        return scaled(value, ((1e9, "G"), (1e6, "M"), (1e3, "K"), (1, "")))
    return scaled(value, ((1e9, " s"), (1e6, " ms"), (1e3, " us"), (1, " ns")))


def scaled(value, units):
    for factor, suffix in units:
        if abs(value) >= factor:
            return f"{value / factor:.3g}{suffix}"
    return f"{value:.3g}{units[-1][1]}"


def write_json(path, verdicts, new_cells, thresholds, args):
    document = {
        "baseline": args.baseline, "new": args.new, "alpha": args.alpha,
        "normalize_by": str(args.normalize_by) if args.normalize_by else None, "thresholds_pct": thresholds,
        "allow_missing": args.allow_missing,
        "regressions": sum(v.regression for v in verdicts),
        "verdicts": [json_safe(asdict(v)) for v in verdicts],
        "new_cells": new_cells,
    }
    with open(path, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2)
        out.write("\n")


def write_markdown(path, verdicts, new_cells, thresholds, args):
    normalised = args.normalize_by is not None
    lines = [f"### Regression gate: {counts_text(verdicts)}", ""]
    if normalised:
        lines += [f"_{normalisation_note(args.normalize_by)}_", ""]
    lines += ["| cell | metric | baseline | new | change | threshold | p-value | verdict |",
              "|---|---|---|---|---|---|---|---|"]
    for v in sorted(verdicts, key=lambda v: not v.regression):
        cell, metric, base, new, change, _, _ = table_row(v, normalised)
        p_value = "-" if v.p_value is None else f"{v.p_value:.3g}"
        fields = (cell, metric, base, new, change, f"{thresholds[metric]:g}%", p_value, verdict_word(v))
        lines.append("| " + " | ".join(f.replace("|", "\\|") for f in fields) + " |")
    if new_cells:
        lines += ["", "New cells (not in baseline): " + ", ".join(new_cells)]
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def verdict_word(v):
    """One plain word a reader of the job summary cannot misread."""
    if v.verdict in ABSENT_VERDICTS:
        return f"{v.verdict} (fails the gate)" if v.regression else f"{v.verdict} (allowed)"
    if v.regression:
        return "REGRESSION"
    if v.test == "vm":
        return "noisy (VM wake-up, not gated)"
    return {"faster": "improved"}.get(v.verdict, v.verdict)


def print_annotations(verdicts, normalised):
    """GitHub workflow commands: an error per slower cell and metric, a warning per absent cell."""
    absent = set()
    for v in verdicts:
        if v.verdict in ABSENT_VERDICTS:
            if v.cell not in absent:
                absent.add(v.cell)
                gate = "fails the gate" if v.regression else "allowed"
                print(workflow_command("warning", f"perf cell {v.verdict}", f"{v.cell} {v.verdict} in NEW ({gate})"))
        elif v.regression:
            _, _, base, new, change, _, _ = table_row(v, normalised)
            evidence = f"p={v.p_value:.3g}" if v.p_value is not None else "min/max ranges apart"
            message = f"{v.cell} {v.metric} {base} -> {new} ({change}, {evidence})"
            print(workflow_command("error", "perf regression", message))


def workflow_command(kind, title, message):
    # GitHub decodes %25, %0D and %0A in a command's message; a bare '%' may be taken for an escape.
    def escape(text):
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    title = escape(title).replace(":", "%3A").replace(",", "%2C")
    return f"::{kind} title={title}::{escape(message)}"


def json_safe(record):
    # JSON has no infinity; a change from a zero baseline is written as null.
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in record.items()}


if __name__ == "__main__":
    run_script(main)
