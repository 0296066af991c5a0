#!/usr/bin/env bash
# Regenerates results/reference/: the default suite and a payload sweep, with tables, JSON, plots and manifest.
# Run on a quiet machine; it takes about 4 minutes on 2 CPUs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build >/dev/null
out=results/reference
mkdir -p "$out"
bin=build/harness/app/ipcbench

# What each run measures is in its config file; the CSV row's config column repeats it.
"$bin" run --config configs/reference-suite.toml \
  --csv "$out/default-suite.csv" --json "$out/default-suite.json" | tee "$out/default-suite.txt"
"$bin" run --config configs/reference-sweep.toml --csv "$out/payload-sweep.csv" | tee "$out/payload-sweep.txt"

/usr/bin/python3 scripts/plot.py "$out/default-suite.csv" -o "$out/plots/default-suite"
/usr/bin/python3 scripts/plot.py "$out/payload-sweep.csv" -o "$out/plots/payload-sweep"
{
  echo "# Machine manifest of the reference run"
  echo
  /usr/bin/python3 - "$out/default-suite.csv" <<'PY'
import csv, sys
row = next(csv.DictReader(open(sys.argv[1], newline="")))
for key in ("cpu_model", "cpu_count", "kernel", "virtualization", "governor", "compiler", "compiler_flags",
            "build_type", "sanitizer", "ipcbench_version", "git_commit", "timer_source", "timer_overhead_ns", "cpus", "run_id"):
    print(f"- `{key}`: {row[key]}")
PY
} > "$out/manifest.md"
echo "reference: wrote $out" >&2
