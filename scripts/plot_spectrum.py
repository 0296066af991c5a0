#!/usr/bin/python3
"""Plots the percentile spectrum of ipcbench JSON runs: latency against percentile, one figure per cell."""

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

# plot chooses matplotlib's backend and settings (byte-stable SVG) on import, so it comes first.
from plot import FORMATS, PlotInfo, UsageError, format_ns, plot_main, save_figures
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from ipcbench_csv import (CORE_KEY_COLUMNS, KEY_COLUMNS, Cell, CsvError, OneLineParser, manifest_line, parse_size,
                          run_script)

PROG = "plot_spectrum.py"
# A histogram's name -> (line style, legend suffix). A load cell shows both of its histograms:
# the gap between them is what coordinated omission would have hidden.
HISTOGRAMS = {"rtt": ("-", ""), "latency": ("-", "corrected"), "uncorrected": ("--", "uncorrected")}


@dataclass(frozen=True)
class Histogram:
    """An ipcbench histogram as --json writes it: non-empty buckets of inclusive [low, high] ns."""
    count: int
    min: int
    max: int
    buckets: tuple  # ((low, high, count), ...), increasing

    def value(self, low, high):
        """A bucket's values are represented by its midpoint, never outside what was recorded."""
        return min(max(low + (high - low) // 2, self.min), self.max)

    def percentile(self, p):
        if p <= 0:
            return self.min
        if p >= 100:
            return self.max
        rank = min(max(math.ceil(p / 100 * self.count), 1), self.count)
        seen = 0
        for low, high, count in self.buckets:
            seen += count
            if seen >= rank:
                return self.value(low, high)
        return self.max

    def spectrum(self):
        """[(percentile, value)]: the minimum at 0, then each bucket at the percentile reached after it."""
        points, seen = [(0.0, self.min)], 0
        for low, high, count in self.buckets:
            seen += count
            points.append((100.0 * seen / self.count, self.value(low, high)))
        return points


def merge(histograms):
    """One histogram of every value of the given ones: equal buckets add their counts."""
    counts = {}
    for h in histograms:
        for low, high, count in h.buckets:
            counts[(low, high)] = counts.get((low, high), 0) + count
    return Histogram(sum(h.count for h in histograms), min(h.min for h in histograms),
                     max(h.max for h in histograms), tuple((lo, hi, c) for (lo, hi), c in sorted(counts.items())))


@dataclass
class Spectrum:
    """A cell's merged histograms, and how many of its repetitions had them."""
    histograms: dict  # name -> Histogram
    repetitions: int
    measured: int


@dataclass
class Run:
    label: str
    path: Path
    manifest: dict
    spectra: dict = field(default_factory=dict)  # Cell -> Spectrum


def main(argv=None):
    args = parse_args(argv)
    return plot_main(PROG, args, lambda formats: make_plots(args.files, Path(args.output), formats, args.label,
                                                            args.cell))


def parse_args(argv):
    parser = OneLineParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", metavar="FILE.json", help="ipcbench --json output, one line each")
    parser.add_argument("-o", "--output", default=".", metavar="OUTDIR", help="directory (default: .)")
    parser.add_argument("--format", default=",".join(FORMATS), help="png,svg (default: both)")
    parser.add_argument("--label", action="append", default=None,
                        help="series label of each file, in order (default: the file's stem)")
    parser.add_argument("--cell", action="append", default=[], metavar="FILTER",
                        help="the cells to plot, repeatable: KEY=VALUE,... (transport=shm-spin,mode=thread) or "
                             "the cell's name or its first parts (shm-spin/thread/cross/64, pipe/process); "
                             "default: every cell with a histogram")
    return parser.parse_args(argv)


def parse_filter(text):
    """{key column: value} of a --cell filter; names before the first KEY= are the cell's name, in order."""
    constraints, keyed = {}, False
    for position, part in enumerate(re.split(r"[/,]", text)):
        key, equals, value = part.partition("=")
        keyed = keyed or bool(equals)
        if not equals:
            if keyed or position >= len(CORE_KEY_COLUMNS):
                raise UsageError(f"--cell '{text}': '{part}' has no KEY=; valid keys: {', '.join(KEY_COLUMNS)}")
            key, value = CORE_KEY_COLUMNS[position], part
        if key not in KEY_COLUMNS:
            raise UsageError(f"--cell '{text}': '{key}' is not a key; valid keys: {', '.join(KEY_COLUMNS)}")
        if not value:
            raise UsageError(f"--cell '{text}': empty value for '{key}'")
        if key == "payload_bytes":
            size = parse_size(value)
            if size is None:
                raise UsageError(f"--cell '{text}': '{value}' is not a size such as 64, 1K or 4KiB")
            value = str(size)
        constraints[key] = value
    return constraints


def cell_values(cell):
    return {"transport": cell.transport, "mode": cell.mode, "placement": cell.placement,
            "payload_bytes": str(cell.payload_bytes), **dict(cell.extra)}


def choose_cells(runs, filters):
    """The cells of any run that match any filter ({text: constraints}); every cell without filters."""
    cells = sorted({cell for run in runs for cell in run.spectra})
    if not filters:
        return cells
    chosen = set()
    for text, constraints in filters.items():
        matching = [c for c in cells if constraints.items() <= cell_values(c).items()]
        if not matching:
            shown = ", ".join(str(c) for c in cells[:6]) + (f" and {len(cells) - 6} more" if len(cells) > 6 else "")
            raise UsageError(f"--cell '{text}' matches no cell with a histogram; cells: {shown}")
        chosen.update(matching)
    return sorted(chosen)


def make_plots(paths, outdir, formats=FORMATS, labels=None, filters=()):
    """Loads the JSON runs and writes one figure per chosen cell, every run overlaid."""
    if labels and len(labels) != len(paths):
        raise UsageError(f"{len(labels)} --label values for {len(paths)} files")
    filters = {text: parse_filter(text) for text in filters}
    names = labels or [Path(p).stem for p in paths]
    # Two files with the same stem (a/run.json, b/run.json) still need two legend entries.
    names = [n if names.count(n) == 1 else f"{n}#{i + 1}" for i, n in enumerate(names)]
    runs = [load_run(path, name) for path, name in zip(paths, names)]
    cells = choose_cells(runs, filters)
    outdir.mkdir(parents=True, exist_ok=True)
    return save_figures([draw_spectrum(cell, runs) for cell in cells], caption_text(runs), outdir, formats, [])


def file_name(cell):
    # Only characters every file system and GitHub's artifact upload accept (no ':' of host:port).
    return "spectrum_" + re.sub(r"[^A-Za-z0-9.=+-]+", "_", str(cell))


def draw_spectrum(cell, runs):
    figure = Figure(figsize=(9, 5.5), layout="constrained")
    ax = figure.subplots()
    curves = [(i, run, name, h) for i, run in enumerate(runs) if cell in run.spectra
              for name, h in run.spectra[cell].histograms.items()]
    # Every curve's maximum sits on the last tick, one decade past its finest percentile.
    last_tick = max(math.floor(math.log10(h.count)) + 1 for *_, h in curves)
    for index, run, name, h in curves:
        style, suffix = HISTOGRAMS[name]
        spectrum = run.spectra[cell]
        label = f"{run.label}: {suffix}" if suffix else run.label
        if spectrum.measured < spectrum.repetitions:
            label += f" ({spectrum.measured} of {spectrum.repetitions} repetitions)"
        points = h.spectrum()
        ax.plot([spectrum_x(p, last_tick) for p, _ in points], [v for _, v in points], drawstyle="steps-pre",
                color=f"C{index % 10}", linestyle=style, linewidth=1.2, label=label)
    ax.set_xlim(0, last_tick)
    ax.xaxis.set_major_locator(FixedLocator(range(last_tick + 1)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: tick_label(round(x), last_tick)))
    ax.set_xlabel("percentile (axis: 1/(1-p), log scale)")
    ax.set_yscale("log", nonpositive="clip")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_ns(v)))
    values = [v for *_, h in curves for v in (h.min, h.max) if v > 0]
    # A log axis spanning less than a decade or so may have no major tick: label its minor ones.
    narrow = bool(values) and max(values) < 30 * min(values)
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: format_ns(v)) if narrow else NullFormatter())
    kind = "round-trip time" if any(name == "rtt" for _, _, name, _ in curves) else "latency"
    ax.set_ylabel(f"{kind} (log scale)")
    ax.set_title(f"Percentile spectrum of {cell}")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left")
    info = PlotInfo(file_name(cell), [line.get_label() for line in ax.get_lines()], [str(cell)])
    return figure, info


def spectrum_x(percentile, last_tick):
    """log10(1/(1-p)), with the maximum (p = 100%, 1/(1-p) infinite) held at the last tick."""
    if percentile >= 100:
        return last_tick
    return min(math.log10(100 / (100 - percentile)), last_tick)


def tick_label(tick, last_tick):
    if tick >= last_tick:
        return "max"
    return f"{100 - 100 / 10 ** tick:.{max(0, tick - 2)}f}%"


def caption_text(runs):
    lines = []
    for run in runs:
        m = run.manifest
        lines.append(f"{run.label}: {manifest_line(m)}")
        lines.append(f"    run {m.get('run_id') or '?'}, config: {m.get('config') or '?'}")
    return "\n".join(lines).replace("$", r"\$")  # '$' would start matplotlib's math text


def load_run(path, label):
    """A --json document's manifest and each cell's merged histograms; errors name the file."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CsvError(path, 0, f"cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise CsvError(path, 0, "not a text JSON file (invalid UTF-8, binary data?)") from None
    except json.JSONDecodeError as error:
        raise CsvError(path, error.lineno, f"not valid JSON: {error.msg}") from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise CsvError(path, 0, "not an ipcbench --json document: expected {\"manifest\": ..., \"cells\": [...]}")
    manifest = document.get("manifest") if isinstance(document.get("manifest"), dict) else {}
    run = Run(label, path, {k: "" if v is None else str(v) for k, v in manifest.items()})
    for record in document["cells"]:
        cell = cell_of(path, record)
        repetitions = record.get("repetitions") if isinstance(record, dict) else None
        if not isinstance(repetitions, list):
            raise CsvError(path, 0, f"cell {cell}: 'repetitions' is not a list")
        kept = [rep["histograms"] for rep in repetitions if isinstance(rep, dict) and "histograms" in rep]
        by_name = {}
        for histograms in kept:
            if not isinstance(histograms, dict):
                raise CsvError(path, 0, f"cell {cell}: 'histograms' is not an object")
            for name, h in histograms.items():
                if name in HISTOGRAMS:
                    by_name.setdefault(name, []).append(histogram_of(path, cell, name, h))
        if by_name:
            merged = {name: merge(by_name[name]) for name in HISTOGRAMS if name in by_name}
            run.spectra[cell] = Spectrum(merged, len(repetitions), len(kept))
    if not run.spectra:
        raise CsvError(path, 0, "no histograms in any cell: written by an ipcbench without them, "
                                "or every repetition failed")
    return run


def cell_of(path, record):
    if not isinstance(record, dict):
        raise CsvError(path, 0, "a cell is not an object")
    missing = [c for c in CORE_KEY_COLUMNS if record.get(c) in (None, "")]
    if missing:
        raise CsvError(path, 0, f"a cell lacks key column(s): {', '.join(missing)}")
    size = key_text(record["payload_bytes"])
    if not size.isdigit():
        raise CsvError(path, 0, f"payload_bytes '{size}' is not a non-negative integer")
    # The other key columns name a cell as in the CSV: only those that have a value.
    extra = tuple((c, key_text(record[c])) for c in KEY_COLUMNS
                  if c not in CORE_KEY_COLUMNS and record.get(c) not in (None, ""))
    return Cell(str(record["transport"]), str(record["mode"]), str(record["placement"]), int(size), extra)


def key_text(value):
    """A key's value as the CSV writes it: 1000, not 1000.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def histogram_of(path, cell, name, h):
    def bad(what):
        return CsvError(path, 0, f"cell {cell}: histogram '{name}' {what}")

    def whole(value):
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    if not isinstance(h, dict):
        raise bad("is not an object")
    if h.get("unit") != "ns":
        raise bad(f"has unit {h.get('unit')!r}, expected 'ns'")
    if not all(whole(h.get(k)) for k in ("count", "min", "max")) or h["count"] == 0 or h["min"] > h["max"]:
        raise bad("needs whole numbers count > 0 and min <= max")
    buckets = h.get("buckets")
    if not isinstance(buckets, list) or not all(
            isinstance(b, list) and len(b) == 3 and all(whole(x) for x in b) and b[0] <= b[1] for b in buckets):
        raise bad("needs buckets [[low, high, count], ...] of whole numbers, low <= high")
    if any(a[1] >= b[0] for a, b in zip(buckets, buckets[1:])):
        raise bad("has buckets out of order or overlapping")
    if sum(b[2] for b in buckets) != h["count"]:
        raise bad(f"bucket counts sum to {sum(b[2] for b in buckets)}, its count is {h['count']}")
    return Histogram(h["count"], h["min"], h["max"], tuple(tuple(b) for b in buckets))


if __name__ == "__main__":
    run_script(main)
