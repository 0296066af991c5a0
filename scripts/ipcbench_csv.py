"""Loads and validates ipcbench results CSV (docs/csv-schema.md), keying rows by cell."""

import argparse
import csv
import io
import math
import os
import re
import shutil
import socket
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

# The manifest's fields: each is a run column and, of a host-mode server, a server_ column.
_MANIFEST_FIELDS = (("cpu_model", ""), ("cpu_count", "count"), ("kernel", ""), ("virtualization", ""),
                    ("governor", ""), ("compiler", ""), ("compiler_flags", ""), ("build_type", ""),
                    ("sanitizer", ""), ("ipcbench_version", ""), ("git_commit", ""), ("timer_source", ""),
                    ("timer_overhead_ns", "ns"), ("cpus", ""), ("hostname", ""))

# The result schema, as `ipcbench schema` prints it (harness/schema.cpp); a test holds the two
# to each other. (column, unit, kind): key columns name a cell, metric and spread columns are
# numbers, run columns are the machine manifest, server columns the host-mode server's.
SCHEMA = (
    ("run_id", "", "run"),
    ("transport", "", "key"), ("mode", "", "key"), ("placement", "", "key"),
    ("payload_bytes", "bytes", "key"), ("server", "", "key"), ("wait_policy", "", "key"),
    ("architecture", "", "key"), ("workload", "", "key"), ("connections", "count", "key"), ("offered_rps", "1/s", "key"),
    ("subscribers", "count", "key"),
    ("row", "", "row"), ("repetition", "count", "row"), ("status", "", "row"), ("reason", "", "row"),
    ("wait", "", "row"), ("client_cpu", "", "row"), ("server_cpu", "", "row"),
    ("round_trips", "count", "metric"), ("elapsed_ns", "ns", "metric"), ("msgs_per_s", "1/s", "metric"),
    ("latency_round_trips", "count", "metric"),
    ("rtt_min_ns", "ns", "metric"), ("rtt_p50_ns", "ns", "metric"), ("rtt_p90_ns", "ns", "metric"),
    ("rtt_p99_ns", "ns", "metric"), ("rtt_p999_ns", "ns", "metric"), ("rtt_p9999_ns", "ns", "metric"),
    ("rtt_max_ns", "ns", "metric"), ("rtt_mean_ns", "ns", "metric"), ("rtt_stddev_ns", "ns", "metric"),
    ("latency_timer_ns", "ns", "metric"), ("latency_timer_step_ns", "ns", "metric"),
    ("cpu_client_ns_per_rt", "ns", "metric"), ("cpu_server_ns_per_rt", "ns", "metric"),
    ("vcsw_client_per_rt", "count", "metric"), ("ivcsw_client_per_rt", "count", "metric"),
    ("vcsw_server_per_rt", "count", "metric"), ("ivcsw_server_per_rt", "count", "metric"),
    ("lost", "count", "metric"), ("floor_rtt_ns", "ns", "metric"), ("floor_ratio", "ratio", "metric"),
    ("floor_lines", "count", "metric"),
    ("achieved_rps", "1/s", "metric"), ("requests", "count", "metric"), ("missed", "count", "metric"),
) + tuple((f"{kind}_{p}_ns", "ns", "metric")
          for kind in ("latency", "uncorrected")
          for p in ("min", "p50", "p90", "p99", "p999", "p9999", "max")) + (
    ("connections_reached", "count", "metric"), ("connect_mean_ns", "ns", "metric"), ("connect_max_ns", "ns", "metric"),
) + tuple((f"errors_{kind}", "count", "metric") for kind in ("connect", "read", "write", "timeout", "protocol", "reset")) + (
    ("server_threads", "count", "metric"), ("cpu_server_ns_per_req", "ns", "metric"),
    ("vcsw_server_per_req", "count", "metric"), ("ivcsw_server_per_req", "count", "metric"),
    ("server_rss_bytes", "bytes", "metric"), ("rss_idle_per_conn_bytes", "bytes", "metric"),
    ("rss_active_per_conn_bytes", "bytes", "metric"), ("kernel_tcp_mem_per_conn_bytes", "bytes", "metric"),
    ("cpu_generator_ns_per_req", "ns", "metric"), ("slo_met", "flag", "metric"),
    ("published_per_s", "1/s", "metric"), ("fanout_rate_messages", "count", "metric"), ("fanout_messages", "count", "metric"),
) + tuple((f"{kind}_{p}_ns", "ns", "metric")
          for kind in ("first", "last")
          for p in ("min", "p50", "p90", "p99", "p999", "p9999", "max", "mean")) + (
    ("lost_deliveries", "count", "metric"), ("loss_ratio", "ratio", "metric"),
    ("cpu_publisher_ns_per_msg", "ns", "metric"), ("cpu_subscriber_ns_per_msg", "ns", "metric"),
    ("msgs_per_s_min", "1/s", "spread"), ("msgs_per_s_max", "1/s", "spread"), ("msgs_per_s_cv", "ratio", "spread"),
    ("rtt_p50_ns_min", "ns", "spread"), ("rtt_p50_ns_max", "ns", "spread"), ("rtt_p50_ns_cv", "ratio", "spread"),
    ("achieved_rps_min", "1/s", "spread"), ("achieved_rps_max", "1/s", "spread"), ("achieved_rps_cv", "ratio", "spread"),
    ("latency_p99_ns_min", "ns", "spread"), ("latency_p99_ns_max", "ns", "spread"), ("latency_p99_ns_cv", "ratio", "spread"),
) + tuple((f"{name}_{part}", unit if part != "cv" else "ratio", "spread")
          for name, unit in (("published_per_s", "1/s"), ("first_p50_ns", "ns"), ("last_p50_ns", "ns"))
          for part in ("min", "max", "cv")) + (
    ("stable", "flag", "spread"),
) + tuple((name, unit, "run") for name, unit in _MANIFEST_FIELDS) + (
    ("config", "", "run"),
) + tuple((f"server_{name}", unit, "server") for name, unit in _MANIFEST_FIELDS)

KEY_COLUMNS = tuple(name for name, _, kind in SCHEMA if kind == "key")
# The dimensions every file has had since the first; later ones are optional (empty: absent).
CORE_KEY_COLUMNS = ("transport", "mode", "placement", "payload_bytes")
REQUIRED_COLUMNS = CORE_KEY_COLUMNS + ("row", "repetition", "status", "msgs_per_s", "rtt_p50_ns", "rtt_p99_ns")
MANIFEST_COLUMNS = tuple(name for name, _, kind in SCHEMA if kind == "run" and name != "run_id")
# Converted to float on ok rows; absent or empty means None.
NUMERIC_COLUMNS = tuple(name for name, _, kind in SCHEMA if kind in ("metric", "spread")) + ("client_cpu", "server_cpu")
ROW_KINDS = ("rep", "aggregate")
STATUSES = ("ok", "failed", "skipped")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_SIZE_SUFFIXES = {"": 1, "b": 1, "k": 1024, "kib": 1024, "m": 1024 ** 2, "mib": 1024 ** 2}


class CsvError(Exception):
    """A malformed or unreadable results file; str() is one line: 'FILE:LINE: what'."""

    def __init__(self, path, line, what):
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(one_line(f"{where}: {what}"))


@dataclass(frozen=True, order=True)
class Cell:
    """A cell's key: the four core dimensions, and any later key column that has a value
    (host mode's server, ...) as sorted (column, value) pairs, so that rows that differ in a
    dimension this script does not know about never collide."""
    transport: str
    mode: str
    placement: str
    payload_bytes: int
    extra: tuple = ()

    def __str__(self):
        text = f"{self.transport}/{self.mode}/{self.placement}/{self.payload_bytes}"
        return text + "".join(f"/{name}={value}" for name, value in self.extra)

    def like(self, transport):
        """The cell with the same dimensions but another transport."""
        return Cell(transport, self.mode, self.placement, self.payload_bytes, self.extra)


@dataclass
class Row:
    cell: Cell
    kind: str
    repetition: int
    status: str
    reason: str
    values: dict
    line: int
    wait: str = ""

    @property
    def ok(self):
        return self.status == "ok"


@dataclass
class ResultFile:
    path: Path
    columns: list
    manifest: dict
    rows_by_cell: dict = field(default_factory=dict)

    @property
    def stem(self):
        return self.path.stem

    def cells(self):
        return sorted(self.rows_by_cell)

    def ok_reps(self, cell):
        """The ok `rep` rows of a cell, by repetition number."""
        rows = self.rows_by_cell.get(cell, [])
        return sorted((r for r in rows if r.kind == "rep" and r.ok), key=lambda r: r.repetition)

    def aggregate(self, cell):
        return next((r for r in self.rows_by_cell.get(cell, []) if r.kind == "aggregate"), None)

    def is_ok(self, cell):
        """True when the cell has a usable measurement (ok reps, or an ok aggregate)."""
        aggregate = self.aggregate(cell)
        if aggregate is not None and not aggregate.ok:
            return False
        return bool(self.ok_reps(cell)) or aggregate is not None

    def cell_status(self, cell):
        """'ok', 'missing' (no row at all), else 'failed' or 'skipped' as the rows say."""
        if cell not in self.rows_by_cell:
            return "missing"
        if self.is_ok(cell):
            return "ok"
        statuses = {r.status for r in self.rows_by_cell[cell]}
        return "failed" if "failed" in statuses or "ok" in statuses else "skipped"

    def summary_value(self, cell, column):
        """The cell's value of a column: its ok aggregate row, else the median of its ok reps."""
        aggregate = self.aggregate(cell)
        if aggregate is not None:
            return aggregate.values.get(column) if aggregate.ok else None
        values = [r.values[column] for r in self.ok_reps(cell) if r.values.get(column) is not None]
        return statistics.median(values) if values else None


def one_line(text):
    """Escapes line breaks (a quoted CSV field may hold one) so an error stays on one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def fail(prog, error):
    """Prints `prog: error: ...` on one line and returns exit status 2."""
    print(f"{prog}: error: {one_line(str(error))}", file=sys.stderr)
    return 2


class OneLineParser(argparse.ArgumentParser):
    """argparse whose usage errors are one line and exit 2, like every other error here."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def run_script(main):
    """Runs a script's main() and exits with its status; a closed pipe or ^C is not a traceback."""
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone; point stdout at /dev/null so the exit flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 1
    except KeyboardInterrupt:
        status = 130
    sys.exit(status)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (whoever binds it next may lose a race)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def built_binary(name):
    """The checkout's build/harness/app/NAME if built, else NAME on PATH (the installed tools)."""
    built = Path(__file__).resolve().parents[1] / "build/harness/app" / name
    return str(built) if built.exists() else shutil.which(name) or str(built)


def parse_cell(text):
    """Parses 'TRANSPORT/MODE/PLACEMENT/SIZE' (SIZE as in the CLI: 64, 1K, 4KiB) into a Cell."""
    parts = text.split("/")
    if len(parts) != 4 or not all(parts):
        raise ValueError(f"'{text}' is not TRANSPORT/MODE/PLACEMENT/SIZE, e.g. memcpy/thread/same/64")
    size = parse_size(parts[3])
    if size is None:
        raise ValueError(f"'{parts[3]}' in '{text}' is not a size such as 64, 1K or 4KiB")
    return Cell(parts[0], parts[1], parts[2], size)


def parse_size(text):
    """Bytes of a size as the CLI writes it (64, 1K, 4KiB), or None."""
    match = re.fullmatch(r"(\d+)\s*([A-Za-z]*)", text)
    if not match or match.group(2).lower() not in _SIZE_SUFFIXES:
        return None
    return int(match.group(1)) * _SIZE_SUFFIXES[match.group(2).lower()]


def manifest_line(manifest):
    """The machine and build a run was measured on, for a figure's caption."""
    m = {name: manifest.get(name) or "?" for name in MANIFEST_COLUMNS}
    return (f"{m['cpu_model']}, {m['cpu_count']} CPUs, kernel {m['kernel']}, "
            f"virtualization {m['virtualization']}, ipcbench {m['ipcbench_version']} "
            f"({m['git_commit']}), timer {m['timer_source']}")


def load_files(paths):
    return [load_file(path) for path in paths]


def load_file(path):
    path = Path(path)
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = _read_header(path, reader)
    result = ResultFile(path=path, columns=header, manifest={})
    first_line_of_rep = {}
    try:
        for fields in reader:
            if not any(fields):
                continue  # a blank line, e.g. at the end of a hand-edited file
            row = _parse_row(path, reader.line_num, header, fields)
            _check_unique(path, row, first_line_of_rep)
            result.rows_by_cell.setdefault(row.cell, []).append(row)
            if not result.manifest:
                result.manifest = {c: fields[header.index(c)] for c in MANIFEST_COLUMNS if c in header}
    except csv.Error as error:
        raise CsvError(path, reader.line_num, f"not valid CSV: {error}") from None
    return result


def _read_text(path):
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CsvError(path, 0, f"cannot read: {error.strerror or error}") from None
    if not data.strip():
        raise CsvError(path, 1, "empty file, expected a header row")
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        raise CsvError(path, line, "not a text CSV file (NUL byte, binary data?)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise CsvError(path, line, "not a text CSV file (invalid UTF-8, binary data?)") from None


def _read_header(path, reader):
    try:
        header = [name.strip() for name in next(reader)]
    except csv.Error as error:
        raise CsvError(path, reader.line_num, f"not valid CSV: {error}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CsvError(path, 1, f"missing required column(s): {', '.join(missing)}")
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        raise CsvError(path, 1, f"duplicate column(s): {', '.join(duplicates)}")
    return header


def _parse_row(path, line, header, fields):
    if len(fields) != len(header):
        raise CsvError(path, line, f"{len(fields)} fields, the header has {len(header)}")
    record = dict(zip(header, fields))
    kind = _choice(path, line, record, "row", ROW_KINDS)
    status = _choice(path, line, record, "status", STATUSES)
    for column in ("transport", "mode", "placement"):
        if not record[column]:
            raise CsvError(path, line, f"empty '{column}'")
    extra = tuple((c, record[c]) for c in KEY_COLUMNS if c not in CORE_KEY_COLUMNS and record.get(c))
    cell = Cell(record["transport"], record["mode"], record["placement"],
                _integer(path, line, record, "payload_bytes"), extra)
    values = {}
    if status == "ok":
        values = {c: _number(path, line, record, c) for c in NUMERIC_COLUMNS if c in record}
    return Row(cell=cell, kind=kind, repetition=_integer(path, line, record, "repetition"),
               status=status, reason=record.get("reason", ""), values=values, line=line,
               wait=record.get("wait", ""))


def _check_unique(path, row, first_line_of_rep):
    if row.kind != "rep":
        return
    key = (row.cell, row.repetition)
    if key in first_line_of_rep:
        raise CsvError(path, row.line, f"repetition {row.repetition} of {row.cell} appears twice "
                                       f"(first on line {first_line_of_rep[key]})")
    first_line_of_rep[key] = row.line


def _choice(path, line, record, column, choices):
    value = record[column]
    if value not in choices:
        raise CsvError(path, line, f"{column} '{value}' is not one of {', '.join(choices)}")
    return value


def _integer(path, line, record, column):
    value = record[column]
    if not re.fullmatch(r"[0-9]+", value):
        raise CsvError(path, line, f"{column} '{value}' is not a non-negative integer")
    return int(value)


def _number(path, line, record, column):
    text = record[column].strip()
    if not text:
        return None  # the schema's "not measured"
    # Plain decimals, or the exponent form a shortest-representation formatter may print;
    # not Python's extras (nan, inf, 1_000).
    if not _NUMBER.fullmatch(text) or not math.isfinite(float(text)):
        raise CsvError(path, line, f"{column} '{text}' is not a number")
    return float(text)
