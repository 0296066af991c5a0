#!/usr/bin/python3
"""Runs ipcbench commands side by side, interleaved round by round, and tables each cell's medians and their ratios.

Usage: scripts/before_after.py --variant LABEL=COMMAND [--variant ...] [--rounds 7] [--key transport,mode,...] -o DIR
COMMAND is a shell command whose results CSV is {csv} (substituted), or, without {csv}, one run
in a fresh directory that leaves ipcbench-results.csv there (the default suite). The variants
run back to back in every round, the first of them rotating, so that a slow phase of the host
and the order both fall on every variant alike. For each cell the tables hold the median over
every ok `rep` row of all rounds, and the ratio to the first variant taken round by round
(each variant's median in that round over the first's in the same round): the median of those
paired ratios and their range. A phase of a shared host that lasts a few rounds moves the
pooled medians; the paired ratio shows it as the range, and keeps its median. --reanalyse
reads the CSVs a previous run left in DIR instead of running anything.
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile

METRICS = ("msgs_per_s", "rtt_p50_ns", "floor_ratio")


def parse_variant(text):
    label, sep, command = text.partition("=")
    if not sep or not label or not command:
        raise argparse.ArgumentTypeError(f"'{text}' is not LABEL=COMMAND")
    return label, command


def run_variant(command, csv_path, log):
    if "{csv}" in command:
        cwd, shell = None, command.replace("{csv}", csv_path)
    else:
        cwd, shell = tempfile.mkdtemp(prefix="before_after."), command
    result = subprocess.run(["bash", "-c", shell], cwd=cwd, capture_output=True, text=True, timeout=1800, check=False)
    log.write(f"$ {shell}\n{result.stdout}{result.stderr}\n")
    if cwd:
        os.replace(os.path.join(cwd, "ipcbench-results.csv"), csv_path)
        os.rmdir(cwd)
    if result.returncode not in (0, 1):
        sys.exit(f"before_after.py: error: '{shell}' exited with {result.returncode}: {result.stderr.strip()[-300:]}")


def read_rows(csv_path, key):
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            if row["row"] == "rep" and row["status"] == "ok":
                yield tuple(row[k] for k in key), row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", type=parse_variant, action="append", required=True)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--key", default="transport,mode,placement,payload_bytes")
    parser.add_argument("-o", "--out", required=True)
    parser.add_argument("--title", default="")
    parser.add_argument("--reanalyse", action="store_true")
    args = parser.parse_args()
    key = args.key.split(",")
    labels = [label for label, _ in args.variant]
    os.makedirs(args.out, exist_ok=True)

    values = {}  # (label, cell, metric) -> [value, ...]
    per_round = {}  # (label, cell, metric, round) -> [value, ...]
    cells = []
    with open(os.path.join(args.out, "raw.log"), "a" if args.reanalyse else "w") as log:
        for r in range(args.rounds):
            order = args.variant[r % len(args.variant):] + args.variant[:r % len(args.variant)]
            for label, command in order:
                csv_path = os.path.join(args.out, f"{label}-round{r + 1}.csv")
                if not args.reanalyse:
                    run_variant(command, csv_path, log)
                for cell, row in read_rows(csv_path, key):
                    if cell not in cells:
                        cells.append(cell)
                    for metric in METRICS:
                        if row.get(metric):
                            values.setdefault((label, cell, metric), []).append(float(row[metric]))
                            per_round.setdefault((label, cell, metric, r), []).append(float(row[metric]))
            if not args.reanalyse:
                print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    def paired(label, cell, metric):
        ratios = []
        for r in range(args.rounds):
            ours, base = per_round.get((label, cell, metric, r)), per_round.get((labels[0], cell, metric, r))
            if ours and base and statistics.median(base):
                ratios.append(statistics.median(ours) / statistics.median(base))
        return ratios

    lines = [args.title, ""] if args.title else []
    lines.append(f"Medians of every ok repetition over {args.rounds} interleaved rounds; ratio = variant / {labels[0]}, "
                 "the median of the per-round ratios [their range].")
    lines.append("")
    for metric in METRICS:
        rows = [c for c in cells if any((l, c, metric) in values for l in labels)]
        if not rows:
            continue
        heading = [*key] + [f"{l} {metric}" for l in labels] + [f"{l}/{labels[0]}" for l in labels[1:]]
        lines += ["| " + " | ".join(heading) + " |", "|" + "---|" * len(heading)]
        for cell in rows:
            med = {l: statistics.median(values[(l, cell, metric)]) for l in labels if (l, cell, metric) in values}
            figures = [f"{med[l]:.4g}" if l in med else "-" for l in labels]
            ratios = []
            for l in labels[1:]:
                pairs = paired(l, cell, metric)
                ratios.append(f"{statistics.median(pairs):.3f} [{min(pairs):.2f}-{max(pairs):.2f}]" if pairs else "-")
            lines.append("| " + " | ".join([*cell, *figures, *ratios]) + " |")
        lines.append("")
    table = "\n".join(lines)
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write(table)
    print(table)


if __name__ == "__main__":
    main()
