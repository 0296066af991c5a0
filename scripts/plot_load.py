#!/usr/bin/python3
"""Plots `ipcbench load` CSV files: latency against offered rate, p99 against connections, memory
per connection and CPU per request, as PNG and SVG."""

import argparse
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

# plot chooses matplotlib's backend and settings (byte-stable SVG) on import, so it comes first.
from plot import (FILE_HATCHES, FILE_MARKERS, FORMATS, SWEEP_LINESTYLES, PlotInfo, UsageError,
                  caption_text, cycled, format_bytes, format_ns, format_rate, is_load, load_datasets, plot_main,
                  plot_parser, rep_range, save_figures, slot)
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullFormatter

from ipcbench_csv import CsvError, run_script

PROG = "plot_load.py"
CLOSED_LOOP = 0  # the offered_rps of `--rate max`
DEFAULT_SLO_MS = 1.0
WHISKERS = "whiskers: min-max of repetitions"


@dataclass
class LoadPlotInfo(PlotInfo):
    panels: list = field(default_factory=list)  # panel titles, row by row


@dataclass(frozen=True)
class Point:
    """One ok load cell of one file, by the dimensions the figures use."""
    series: tuple  # (dataset index, architecture, setup): one legend entry
    group: tuple  # (workload, payload_bytes): one row of panels
    connections: int
    offered_rps: int
    result: object  # ipcbench_csv.ResultFile
    cell: object

    @property
    def closed_loop(self):
        return self.offered_rps == CLOSED_LOOP

    def value(self, column):
        return self.result.summary_value(self.cell, column)

    def span(self, column):
        """The distances from the value (the median) down to the repetitions' min and up to their max."""
        value = self.value(column)
        low, high = rep_range(self.result, self.cell, column, value)
        return value - low, high - value


class SeriesStyle:
    """Names and looks of the series: colour by architecture (and setup), marker and hatch by file."""

    def __init__(self, points, datasets):
        self.keys = sorted({p.series for p in points}, key=lambda k: (k[1], k[2], k[0]))
        self._kinds = sorted({k[1:] for k in self.keys})
        many_setups = len({k[2] for k in self.keys}) > 1
        self.labels = {k: (f"{datasets[k[0]].label}: " if len(datasets) > 1 else "") + k[1]
                       + (f" {k[2]}" if many_setups else "") for k in self.keys}

    def colour(self, key):
        return f"C{self._kinds.index(key[1:]) % 10}"

    def marker(self, key):
        return cycled(FILE_MARKERS, key[0])

    def hatch(self, key):
        return cycled(FILE_HATCHES, key[0])

    def line(self, key, label=None, **style):
        return Line2D([], [], color=self.colour(key), marker=self.marker(key), label=label or self.labels[key],
                      **style)

    def patch(self, key):
        return Patch(facecolor=self.colour(key), hatch=self.hatch(key), edgecolor="black", linewidth=0.4,
                     label=self.labels[key])


def main(argv=None):
    args = parse_args(argv)
    return plot_main(PROG, args, lambda formats: make_plots(args.files, Path(args.output), formats, args.label, args.slo_ms))


def parse_args(argv):
    parser = plot_parser(PROG, __doc__.splitlines()[0])
    parser.add_argument("--slo-ms", type=positive, default=DEFAULT_SLO_MS, metavar="MS",
                        help=f"the p99 bound drawn on the latency figures (default: {DEFAULT_SLO_MS:g})")
    return parser.parse_args(argv)


def positive(text):
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive number")
    return value


def make_plots(paths, outdir, formats=FORMATS, labels=None, slo_ms=DEFAULT_SLO_MS):
    """Loads the CSV files, writes every figure that applies, and says what it drew."""
    datasets = load_datasets(paths, labels, is_load)
    if not any(d.cells() for d in datasets):
        raise UsageError("nothing to plot: no load rows (they come from `ipcbench load --csv`)")
    points = load_points(datasets)
    if not points:
        raise UsageError("nothing to plot: every load cell failed or was skipped")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    caption = caption_text(datasets)
    style = SeriesStyle(points, datasets)
    slo_ns = slo_ms * 1e6
    figures = [draw_latency_vs_rate(points, style, slo_ns)]
    if any(not p.closed_loop for p in points):
        figures.append(draw_p99_vs_connections(points, style, slo_ns))
    if measured(points, "rss_active_per_conn_bytes") or measured(points, "rss_idle_per_conn_bytes"):
        figures.append(draw_memory_per_connection(points, style))
    if measured(points, "cpu_server_ns_per_req"):  # a `load --connect` target reports no server stats
        figures.append(draw_cpu_per_request(points, style))
    return save_figures(figures, caption, outdir, formats, datasets)


def load_points(datasets):
    points = []
    for index, d in enumerate(datasets):
        for cell in d.ok_cells():
            dims = dict(cell.extra)
            # What else can tell two series of one architecture apart: placement, a --connect target.
            setup = f"{cell.transport}/{cell.mode}/{cell.placement}"
            if "server" in dims:
                setup += f" {dims['server']}"
            points.append(Point((index, dims["architecture"], setup), (dims.get("workload", ""), cell.payload_bytes),
                                whole(d.result, cell, "connections"), whole(d.result, cell, "offered_rps"),
                                d.result, cell))
    return points


def whole(result, cell, column):
    text = dict(cell.extra).get(column, "")
    if not re.fullmatch(r"[0-9]+", text):
        line = result.rows_by_cell[cell][0].line
        raise CsvError(result.path, line, f"{column} '{text}' is not a non-negative integer")
    return int(text)


def measured(points, column):
    return any(p.value(column) is not None for p in points)


def rate_order(points):
    """The offered rates, lowest first, and the closed loop last: it is the most a server can take."""
    rates = sorted({p.offered_rps for p in points if not p.closed_loop})
    return rates + ([CLOSED_LOOP] if any(p.closed_loop for p in points) else [])


def rate_label(rate):
    return "max" if rate == CLOSED_LOOP else format_rate(rate)


def grid(points, per_connections, title):
    """A figure with a row of panels per (workload, payload) and, if asked, a column per connection
    count; returns it, its axes and {(group, connections or None): axes}."""
    groups = sorted({p.group for p in points})
    columns = sorted({p.connections for p in points}) if per_connections else [None]
    figure = Figure(figsize=(3.0 + 4.2 * len(columns), 0.8 + 3.4 * len(groups)), layout="constrained")
    axes = figure.subplots(len(groups), len(columns), squeeze=False, sharex=True, sharey=True)
    figure.suptitle(title)
    panels = {}
    for row, group in zip(axes, groups):
        for ax, connections in zip(row, columns):
            ax.set_title(f"{group[0]}, {format_bytes(group[1])}"
                         + (f", {connections} connections" if connections is not None else ""))
            ax.grid(True, which="major", alpha=0.3)
            panels[(group, connections)] = ax
    return figure, axes, panels


def in_panel(points, group, connections):
    return [p for p in points if p.group == group and (connections is None or p.connections == connections)]


def whiskers(points, column):
    spans = [p.span(column) for p in points]
    return [[s[0] for s in spans], [s[1] for s in spans]]


def log_latency_axis(ax):
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_ns(v)))


def rate_ticks(ax, marked, others=()):
    """Log x ticks at the marked values and the powers of ten within the data, labelled as the CLI
    writes them (2K, 100K)."""
    values = list(marked) + list(others)
    if not values:
        return
    low, high = min(values), max(values)
    decades = [10 ** k for k in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
               if low <= 10 ** k <= high]
    ticks = sorted(set(marked) | set(decades))
    ax.set_xticks(ticks, [format_rate(t) for t in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())


def slo_handle(slo_ns):
    return Line2D([], [], color="grey", linestyle=":", label=f"SLO: p99 {format_ns(slo_ns)}")


def finish(figure, axes, panels, handles, name, series, categories):
    axes[0][-1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1))
    return figure, LoadPlotInfo(name, series, categories, panels=[ax.get_title() for ax in panels.values()])


def draw_latency_vs_rate(points, style, slo_ns):
    figure, axes, panels = grid(points, True, f"p99 latency against offered rate: the knee ({WHISKERS})")
    for (group, connections), ax in panels.items():
        here = in_panel(points, group, connections)
        for key in style.keys:
            colour, marker = style.colour(key), style.marker(key)
            mine = sorted((p for p in here if p.series == key and p.value("latency_p99_ns")),
                          key=lambda p: p.offered_rps)
            open_loop = [p for p in mine if not p.closed_loop]
            if open_loop:
                ax.errorbar([p.offered_rps for p in open_loop], [p.value("latency_p99_ns") for p in open_loop],
                            yerr=whiskers(open_loop, "latency_p99_ns"), color=colour, marker=marker,
                            markersize=4, capsize=2, linewidth=1.2)
                uncorrected = [(p.offered_rps, p.value("uncorrected_p99_ns")) for p in open_loop
                               if p.value("uncorrected_p99_ns")]
                if uncorrected:
                    ax.plot(*zip(*uncorrected), color=colour, marker=marker, markersize=4,
                            markerfacecolor="none", linestyle="--", linewidth=1)
            # The closed loop has no offered rate; what it reached is its place on this axis.
            for p in (p for p in mine if p.closed_loop and p.value("achieved_rps")):
                ax.errorbar([p.value("achieved_rps")], [p.value("latency_p99_ns")], xerr=whiskers([p], "achieved_rps"),
                            yerr=whiskers([p], "latency_p99_ns"), color=colour, marker="*", markersize=10,
                            capsize=2, linestyle="none")
        ax.axhline(slo_ns, color="grey", linestyle=":", linewidth=1)
        log_latency_axis(ax)
    axes[0][0].set_xscale("log")
    rate_ticks(axes[0][0], [p.offered_rps for p in points if not p.closed_loop],
               [p.value("achieved_rps") for p in points if p.closed_loop and p.value("achieved_rps")])
    label_edges(axes, "offered requests per second (log scale)", "p99 latency (log scale)")
    handles = [style.line(k) for k in style.keys] + [
        Line2D([], [], color="black", label="corrected p99 (from each request's due time)"),
        Line2D([], [], color="black", linestyle="--", marker="o", markerfacecolor="none",
               label="uncorrected p99 (from the actual send)"),
        Line2D([], [], color="black", marker="*", markersize=10, linestyle="none",
               label="closed loop (--rate max), at its achieved rate"),
        slo_handle(slo_ns)]
    return finish(figure, axes, panels, handles, "latency_vs_rate", [style.labels[k] for k in style.keys],
                  [rate_label(r) for r in rate_order(points)])


def draw_p99_vs_connections(points, style, slo_ns):
    points = [p for p in points if not p.closed_loop]
    figure, axes, panels = grid(points, False, f"Corrected p99 latency against connections ({WHISKERS})")
    rates = sorted({p.offered_rps for p in points})
    lines = [(key, rate) for key in style.keys for rate in rates
             if any(p.series == key and p.offered_rps == rate for p in points)]
    labels = {line: f"{style.labels[line[0]]} at {format_rate(line[1])}/s" for line in lines}
    linestyles = {rate: cycled(SWEEP_LINESTYLES, n) for n, rate in enumerate(rates)}
    for (group, _), ax in panels.items():
        here = in_panel(points, group, None)
        for key, rate in lines:
            mine = sorted((p for p in here if p.series == key and p.offered_rps == rate
                           and p.value("latency_p99_ns")), key=lambda p: p.connections)
            if mine:
                ax.errorbar([p.connections for p in mine], [p.value("latency_p99_ns") for p in mine],
                            yerr=whiskers(mine, "latency_p99_ns"), color=style.colour(key),
                            marker=style.marker(key), linestyle=linestyles[rate], markersize=4, capsize=2)
        ax.axhline(slo_ns, color="grey", linestyle=":", linewidth=1)
        log_latency_axis(ax)
    axes[0][0].set_xscale("log")
    rate_ticks(axes[0][0], [p.connections for p in points])
    label_edges(axes, "connections (log scale)", "corrected p99 latency (log scale)")
    handles = [style.line(key, labels[(key, rate)], linestyle=linestyles[rate]) for key, rate in lines]
    handles.append(slo_handle(slo_ns))
    counts = sorted({p.connections for p in points})
    return finish(figure, axes, panels, handles, "p99_vs_connections", [labels[line] for line in lines],
                  [format_rate(c) for c in counts])


def draw_memory_per_connection(points, style):
    figure, axes, panels = grid(points, False, "Server resident memory per connection, at each series' "
                                               f"highest achieved rate ({WHISKERS})")
    counts = sorted({p.connections for p in points})
    kinds = (("rss_active_per_conn_bytes", 1.0), ("rss_idle_per_conn_bytes", 0.4))
    for (group, _), ax in panels.items():
        here = in_panel(points, group, None)
        for n, key in enumerate(style.keys):
            # Idle memory does not depend on the rate, active memory grows with it: take the busiest cell.
            busiest = [max((p for p in here if p.series == key and p.connections == c),
                           key=lambda p: p.value("achieved_rps") or 0.0, default=None) for c in counts]
            for m, (column, alpha) in enumerate(kinds):
                bars = [(x, p) for x, p in enumerate(busiest) if p is not None and p.value(column) is not None]
                if not bars:
                    continue
                kib = [[v / 1024 for v in side] for side in whiskers([p for _, p in bars], column)]
                ax.bar([slot(x, n * len(kinds) + m, len(style.keys) * len(kinds)) for x, _ in bars],
                       [p.value(column) / 1024 for _, p in bars], 0.8 / (len(style.keys) * len(kinds)),
                       yerr=kib, capsize=2, color=style.colour(key), alpha=alpha, hatch=style.hatch(key),
                       edgecolor="black", linewidth=0.4, error_kw={"linewidth": 0.8})
    finish_categorical(axes, [format_rate(c) for c in counts], "connections", "KiB per connection")
    handles = [style.patch(k) for k in style.keys] + [
        Patch(facecolor="grey", edgecolor="black", linewidth=0.4, label="active: at the end of the window"),
        Patch(facecolor="grey", alpha=0.4, edgecolor="black", linewidth=0.4,
              label="idle: every connection open, before the load")]
    return finish(figure, axes, panels, handles, "memory_per_connection", [style.labels[k] for k in style.keys],
                  [format_rate(c) for c in counts])


def draw_cpu_per_request(points, style):
    figure, axes, panels = grid(points, True, f"Server CPU time per request ({WHISKERS})")
    rates = rate_order(points)
    for (group, connections), ax in panels.items():
        here = in_panel(points, group, connections)
        for n, key in enumerate(style.keys):
            bars = [(x, p) for x, rate in enumerate(rates) for p in here
                    if p.series == key and p.offered_rps == rate and p.value("cpu_server_ns_per_req") is not None]
            if bars:
                ax.bar([slot(x, n, len(style.keys)) for x, _ in bars],
                       [p.value("cpu_server_ns_per_req") for _, p in bars], 0.8 / len(style.keys),
                       yerr=whiskers([p for _, p in bars], "cpu_server_ns_per_req"), capsize=2,
                       color=style.colour(key), hatch=style.hatch(key), edgecolor="black", linewidth=0.4,
                       error_kw={"linewidth": 0.8})
    axes[0][0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_ns(v)))
    finish_categorical(axes, [rate_label(r) for r in rates], "offered requests per second (max: closed loop)",
                       "server CPU per request")
    handles = [style.patch(k) for k in style.keys]
    return finish(figure, axes, panels, handles, "cpu_per_request", [style.labels[k] for k in style.keys],
                  [rate_label(r) for r in rates])


def finish_categorical(axes, categories, xlabel, ylabel):
    axes[0][0].set_xticks(range(len(categories)), categories)
    axes[0][0].set_xlim(-0.6, len(categories) - 0.4)
    for ax in axes.flat:
        ax.grid(False, axis="x")
    label_edges(axes, xlabel, ylabel)


def label_edges(axes, xlabel, ylabel):
    """Axis labels on the bottom row and the left column only: the panels share both axes."""
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)


if __name__ == "__main__":
    run_script(main)
