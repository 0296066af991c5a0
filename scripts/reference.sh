#!/usr/bin/env bash
# Regenerates results/reference/: the default suite and a payload sweep, with tables, JSON, plots and manifest.
# Run on a quiet machine; it takes about 4 minutes on 2 CPUs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build >/dev/null
out=results/reference
mkdir -p "$out"
bin=build/harness/app/ipcbench

# The default suite's cells and settings, written where we want them.
"$bin" run --duration 80ms --repetitions 5 --quiet \
  --csv "$out/default-suite.csv" --json "$out/default-suite.json" | tee "$out/default-suite.txt"

# 1 B to 64 KiB, process mode (memcpy: thread), both placements; udp stops at 65507 B, so it is left out.
"$bin" run -m process,thread -p cross,same -s 1,64,512,4K,16K,64K --duration 60ms --repetitions 3 --quiet \
  -t memcpy,shm-spin,shm-sem,eventfd,pipe,unix,tcp,epoll \
  --csv "$out/payload-sweep.csv" | tee "$out/payload-sweep.txt"

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
