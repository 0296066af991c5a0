#!/usr/bin/python3
"""Plots ipcbench CSV files: round trips/s, the latency ladder and the payload sweep, as PNG and SVG."""

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402  (the backend must be chosen first)
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from ipcbench_csv import Cell, CsvError, load_files, fail, manifest_line, OneLineParser, run_script  # noqa: E402

PROG = "plot.py"
FORMATS = ("png", "svg")
PERCENTILES = (("p50", "rtt_p50_ns", "o"), ("p90", "rtt_p90_ns", "s"), ("p99", "rtt_p99_ns", "^"),
               ("p99.9", "rtt_p999_ns", "D"), ("p99.99", "rtt_p9999_ns", "v"))
MODE_ORDER = ("thread", "process", "host")
PLACEMENT_ORDER = ("cross", "same", "none")
FILE_HATCHES = ("", "//", "..", "xx", "\\\\", "++")
FILE_LINESTYLES = ("-", "--", ":", "-.")
FILE_MARKERS = ("o", "s", "^", "D", "v", "P")
SWEEP_LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))

# Text stays text in SVG (searchable, diffable), and the same data gives the same file.
matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "ipcbench", "font.size": 9})


class UsageError(Exception):
    """Bad command-line input: labels that do not match the files, an unknown format."""


@dataclass
class Dataset:
    label: str
    result: object  # ipcbench_csv.ResultFile
    wanted: object = None  # the cells a script plots (a predicate on Cell); None: all

    def cells(self):
        return [c for c in self.result.cells() if self.wanted is None or self.wanted(c)]

    def ok_cells(self):
        return [c for c in self.cells() if self.result.is_ok(c)]

    def left_out(self):
        return [c for c in self.cells() if not self.result.is_ok(c)]


def is_load(cell):
    """A row of `ipcbench load` (it names a server architecture), not a ping-pong round trip."""
    return any(name == "architecture" for name, _ in cell.extra)


def is_ping_pong(cell):
    return not is_load(cell)


@dataclass
class PlotInfo:
    """What a figure shows, for callers and tests: legend entries and x categories."""
    name: str
    series: list
    categories: list
    paths: list = field(default_factory=list)


@dataclass
class PlotReport:
    plots: dict
    left_out: int

    @property
    def paths(self):
        return [p for info in self.plots.values() for p in info.paths]


def main(argv=None):
    args = parse_args(argv)
    return plot_main(PROG, args, lambda formats: make_plots(args.files, Path(args.output), formats, args.label))


def plot_main(prog, args, plot):
    """The body of a plotting script's main: plot(formats) draws; errors are one line, exit 2."""
    try:
        report = plot(parse_formats(args.format))
    except (CsvError, UsageError) as error:
        return fail(prog, error)
    except OSError as error:
        return fail(prog, f"cannot write {error.filename or args.output}: {error.strerror or error}")
    for path in report.paths:
        print(path)
    return 0


def plot_parser(prog, description):
    """The options every plotting script takes: the files, -o, --format, --label."""
    parser = OneLineParser(prog=prog, description=description)
    parser.add_argument("files", nargs="+", metavar="FILE.csv")
    parser.add_argument("-o", "--output", default=".", metavar="OUTDIR", help="directory (default: .)")
    parser.add_argument("--format", default=",".join(FORMATS), help="png,svg (default: both)")
    parser.add_argument("--label", action="append", default=None,
                        help="series label of each file, in order (default: the file's stem)")
    return parser


def parse_args(argv):
    return plot_parser(PROG, __doc__.splitlines()[0]).parse_args(argv)


def parse_formats(text):
    formats = [f.strip().lower() for f in text.split(",")]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not all(formats):
        raise UsageError(f"--format '{text}': choose from {','.join(FORMATS)}")
    return list(dict.fromkeys(formats))


def make_plots(paths, outdir, formats=FORMATS, labels=None):
    """Loads the CSV files, writes every figure that applies, and says what it drew."""
    datasets = load_datasets(paths, labels, is_ping_pong)
    if not any(d.cells() for d in datasets):
        raise UsageError("nothing to plot: no ping-pong rows (load rows are for scripts/plot_load.py)")
    if not any(d.ok_cells() for d in datasets):
        raise UsageError("nothing to plot: every cell failed or was skipped")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    caption = caption_text(datasets)
    figures = [draw_msgs_per_s(datasets), draw_latency_ladder(datasets)]
    if sweep_lines(datasets):
        figures.append(draw_payload_sweep(datasets))
    return save_figures(figures, caption, outdir, formats, datasets)


def save_figures(figures, caption, outdir, formats, datasets):
    """Writes each (figure, info) in every format, captioned; SVGs carry no date, so the same
    data gives the same bytes."""
    plots = {}
    for figure, info in figures:
        add_caption(figure, caption)
        for fmt in formats:
            path = outdir / f"{info.name}.{fmt}"
            figure.savefig(path, format=fmt, bbox_inches="tight", dpi=120,
                           metadata={"Date": None} if fmt == "svg" else None)
            info.paths.append(path)
        plots[info.name] = info
    return PlotReport(plots=plots, left_out=sum(len(d.left_out()) for d in datasets))


def load_datasets(paths, labels, wanted=None):
    if labels and len(labels) != len(paths):
        raise UsageError(f"{len(labels)} --label values for {len(paths)} files")
    results = load_files(paths)
    names = labels or [r.stem for r in results]
    # Two files with the same stem (a/run.csv, b/run.csv) still need two legend entries.
    unique = [n if names.count(n) == 1 else f"{n}#{i + 1}" for i, n in enumerate(names)]
    return [Dataset(label, result, wanted) for label, result in zip(unique, results)]


def payload_sizes(datasets):
    return sorted({c.payload_bytes for d in datasets for c in d.ok_cells()})


def series_keys(datasets, payload=None):
    """(dataset index, mode, placement, other key dimensions) of every series with data, in a
    stable reading order."""
    keys = {(i, c.mode, c.placement, c.extra) for i, d in enumerate(datasets) for c in d.ok_cells()
            if payload is None or c.payload_bytes == payload}
    return sorted(keys, key=lambda k: (mode_placement_rank(k[1:]), k[0]))


def rank(value, order):
    return (order.index(value), "") if value in order else (len(order), value)


def series_label(datasets, key):
    index, mode, placement, extra = key
    name = f"{mode}/{placement}" + "".join(f" {column}={value}" for column, value in extra)
    return f"{datasets[index].label}: {name}" if len(datasets) > 1 else name


def series_colour(key, keys):
    """One colour per (mode, placement), the same for every file, which differ by hatch or line."""
    pairs = sorted({k[1:] for k in keys}, key=mode_placement_rank)
    return f"C{pairs.index(key[1:]) % 10}"


def mode_placement_rank(pair):
    return rank(pair[0], MODE_ORDER), rank(pair[1], PLACEMENT_ORDER)


def cycled(options, index):
    return options[index % len(options)]


def transport_order(datasets, payload):
    """Transports by their best round trips/s, fastest first, so the bars read as a ranking."""
    best = {}
    for d in datasets:
        for c in d.ok_cells():
            if c.payload_bytes == payload:
                value = d.result.summary_value(c, "msgs_per_s") or 0.0
                best[c.transport] = max(best.get(c.transport, 0.0), value)
    return sorted(best, key=lambda t: (-best[t], t))


def categorical_layout(datasets):
    """The smallest payload (the seed table's cells), its transports, its series, and a figure."""
    payload = payload_sizes(datasets)[0]
    transports, keys = transport_order(datasets, payload), series_keys(datasets, payload)
    width = min(24.0, max(9.0, 3.0 + 0.18 * len(transports) * len(keys)))
    figure = Figure(figsize=(width, 6), layout="constrained")
    return payload, transports, keys, figure, figure.subplots()


def slot(x, n, count):
    """Centre of the n-th of count side-by-side slots around category x."""
    return x - 0.4 + 0.8 / count * (n + 0.5)


def draw_msgs_per_s(datasets):
    payload, transports, keys, figure, ax = categorical_layout(datasets)
    for n, key in enumerate(keys):
        result = datasets[key[0]].result
        xs, heights, errors = [], [], [[], []]
        for x, transport in enumerate(transports):
            cell = Cell(transport, key[1], key[2], payload, key[3])
            value = result.summary_value(cell, "msgs_per_s") if result.is_ok(cell) else None
            if value:
                low, high = rep_range(result, cell, "msgs_per_s", value)
                xs.append(slot(x, n, len(keys)))
                heights.append(value)
                errors[0].append(value - low)
                errors[1].append(high - value)
        ax.bar(xs, heights, 0.8 / len(keys), yerr=errors, capsize=2, label=series_label(datasets, key),
               color=series_colour(key, keys), hatch=cycled(FILE_HATCHES, key[0]),
               edgecolor="black", linewidth=0.4, error_kw={"linewidth": 0.8})
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_rate(v)))
    ax.set_ylabel("round trips per second (log scale; whiskers: min-max of repetitions)")
    ax.set_title(f"Round trips per second, {format_bytes(payload)} each way (higher is better)")
    finish_categorical(ax, transports)
    return figure, PlotInfo("msgs_per_s", [series_label(datasets, k) for k in keys], transports)


def draw_latency_ladder(datasets):
    payload, transports, keys, figure, ax = categorical_layout(datasets)
    for n, key in enumerate(keys):
        result, colour = datasets[key[0]].result, series_colour(key, keys)
        linestyle = cycled(FILE_LINESTYLES, key[0])
        for x, transport in enumerate(transports):
            cell = Cell(transport, key[1], key[2], payload, key[3])
            if not result.is_ok(cell):
                continue
            rungs = [(result.summary_value(cell, column), marker) for _, column, marker in PERCENTILES]
            rungs = [(v, m) for v, m in rungs if v]
            position = slot(x, n, len(keys))
            if rungs:
                ax.plot([position] * len(rungs), [v for v, _ in rungs], color=colour, linestyle=linestyle,
                        linewidth=1)
            for value, marker in rungs:
                ax.plot([position], [value], marker=marker, color=colour, markersize=4, linestyle="none")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_ns(v)))
    ax.set_ylabel("round-trip time (log scale)")
    ax.set_title(f"Round-trip time percentiles, {format_bytes(payload)} each way (lower is better)")
    series = [Line2D([], [], color=series_colour(k, keys), linestyle=cycled(FILE_LINESTYLES, k[0]),
                     label=series_label(datasets, k)) for k in keys]
    rungs = [Line2D([], [], color="black", marker=marker, linestyle="none", label=name)
             for name, _, marker in PERCENTILES]
    ax.add_artist(ax.legend(handles=rungs, title="percentile", loc="lower left", bbox_to_anchor=(1.01, 0)))
    ax.legend(handles=series, loc="upper left", bbox_to_anchor=(1.01, 1))
    finish_categorical(ax, transports, legend=False)
    return figure, PlotInfo("latency_ladder", [series_label(datasets, k) for k in keys], transports)


def draw_payload_sweep(datasets):
    figure = Figure(figsize=(14, 6), layout="constrained")
    rate_ax, rtt_ax = figure.subplots(1, 2)
    lines = sweep_lines(datasets)
    transports = sorted({key[1] for key, _ in lines})
    # Colour tells the transport, line style the (mode, placement), marker the file.
    pairs = sorted({key[2:] for key, _ in lines}, key=mode_placement_rank)
    for (index, transport, mode, placement, extra), points in lines:
        label = f"{transport} {mode}/{placement}" + "".join(f" {column}={value}" for column, value in extra)
        if len(datasets) > 1:
            label = f"{datasets[index].label}: {label}"
        style = {"color": f"C{transports.index(transport) % 10}", "marker": cycled(FILE_MARKERS, index),
                 "linestyle": cycled(SWEEP_LINESTYLES, pairs.index((mode, placement, extra)))}
        sizes = [p[0] for p in points]
        rate_ax.plot(sizes, [p[1] for p in points], label=label, **style)
        rtt_ax.plot(sizes, [p[2] for p in points], label=label, **style)
    sizes = sorted({p[0] for _, points in lines for p in points})
    for ax in (rate_ax, rtt_ax):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(sizes)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_bytes(v)))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        ax.set_xlabel("payload each way (log scale)")
        ax.grid(True, which="major", alpha=0.3)
    rate_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_rate(v)))
    rate_ax.set_ylabel("round trips per second (log scale)")
    rate_ax.set_title("Round trips per second vs payload")
    rtt_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_ns(v)))
    rtt_ax.set_ylabel("p50 round-trip time (log scale)")
    rtt_ax.set_title("Median round-trip time vs payload")
    rtt_ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    series = [line.get_label() for line in rate_ax.get_lines()]
    return figure, PlotInfo("payload_sweep", series, [str(s) for s in sizes])


def sweep_lines(datasets):
    """[((dataset index, transport, mode, placement), [(bytes, msgs/s, p50 ns), ...])] of every
    series measured at more than one payload size; a single point is not a sweep."""
    lines = {}
    for index, d in enumerate(datasets):
        for cell in d.ok_cells():
            rate = d.result.summary_value(cell, "msgs_per_s")
            p50 = d.result.summary_value(cell, "rtt_p50_ns")
            if rate and p50:
                key = (index, cell.transport, cell.mode, cell.placement, cell.extra)
                lines.setdefault(key, []).append((cell.payload_bytes, rate, p50))
    ordered = sorted(lines, key=lambda k: (k[0], k[1], mode_placement_rank(k[2:])))
    return [(key, sorted(lines[key])) for key in ordered if len(lines[key]) > 1]


def rep_range(result, cell, column, fallback):
    values = [r.values[column] for r in result.ok_reps(cell) if r.values.get(column) is not None]
    return (min(values), max(values)) if values else (fallback, fallback)


def finish_categorical(ax, categories, legend=True):
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels(categories, rotation=30, ha="right")
    ax.set_xlabel("transport")
    ax.set_xlim(-0.6, len(categories) - 0.4)
    ax.grid(True, axis="y", which="major", alpha=0.3)
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))


def caption_text(datasets):
    lines = [f"{d.label}: {manifest_line(d.result.manifest)}" for d in datasets]
    left_out = [(d.label, c) for d in datasets for c in d.left_out()]
    if left_out:
        shown = ", ".join(f"{label}: {cell}" for label, cell in left_out[:6])
        more = f" and {len(left_out) - 6} more" if len(left_out) > 6 else ""
        lines.append(f"{len(left_out)} failed or skipped cell(s) not shown: {shown}{more}")
    return "\n".join(lines).replace("$", r"\$")  # '$' would start matplotlib's math text


def add_caption(figure, caption):
    # supxlabel takes part in the constrained layout, so the caption never overlaps tick labels.
    figure.supxlabel(caption, x=0.0, ha="left", fontsize=8, linespacing=1.4)


def format_rate(value):
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if value >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"


def format_ns(value):
    for factor, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "us")):
        if value >= factor:
            return f"{value / factor:g} {unit}"
    return f"{value:g} ns"


def format_bytes(value):
    for factor, unit in ((1024 ** 2, "MiB"), (1024, "KiB")):
        if value >= factor and value % factor == 0:
            return f"{value / factor:g} {unit}"
    return f"{value:g} B"


if __name__ == "__main__":
    run_script(main)
