#!/usr/bin/env bash
# Shows the regression gate working both ways, as a benchmark anyone can repeat:
# five runs of an unchanged build against a baseline must raise no alarm, and five runs with
# a deliberate 25% slowdown of one cell (--inject-delay) must be flagged every time.
# Usage: scripts/gate_demo.sh [OUT_DIR]   (about 25 minutes on 2 CPUs; run on a quiet machine)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/gate-demo}
mkdir -p "$out"
bin=build/harness/app/ipcbench
suite=(run --repetitions 5 --duration 250ms --quiet --table none)   # as in .github/workflows/perf.yml
target=pipe/process/same/64

"$bin" "${suite[@]}" --csv "$out/baseline.csv" || exit 1
# 25% of the target cell's mean round trip in the baseline, as a busy-wait after every reply.
delay_ns=$(/usr/bin/python3 - "$out/baseline.csv" "$target" <<'PY'
import csv, sys
transport, mode, placement, size = sys.argv[2].split("/")
for row in csv.DictReader(open(sys.argv[1], newline="")):
    if (row["row"], row["transport"], row["mode"], row["placement"], row["payload_bytes"]) == ("aggregate", transport, mode, placement, size):
        print(round(0.25 * 1e9 / float(row["msgs_per_s"])))
PY
)
echo "slowdown: ${delay_ns} ns per round trip of ${target%%/*} (25% of ${target}'s mean round trip)" | tee "$out/summary.txt"

for kind in unchanged slowed; do
  for i in 1 2 3 4 5; do
    extra=()
    [ "$kind" = slowed ] && extra=(--inject-delay "${target%%/*}=${delay_ns}ns")
    "$bin" "${suite[@]}" "${extra[@]}" --csv "$out/$kind-$i.csv"
    scripts/compare.py "$out/baseline.csv" "$out/$kind-$i.csv" >"$out/$kind-$i.txt"
    status=$?
    flagged=$(grep -c " slower" "$out/$kind-$i.txt")
    target_flagged=$(grep -E "^${target//\//\\/}.* slower" -c "$out/$kind-$i.txt" || true)
    echo "$kind run $i: gate exit $status, $(tail -1 "$out/$kind-$i.txt"); target cell flagged on $target_flagged metric(s)" | tee -a "$out/summary.txt"
  done
done
