#!/usr/bin/env bash
# Shows the regression gate working both ways, as a benchmark anyone can repeat: three
# baseline runs, then five runs of the unchanged build that must raise no alarm, then five
# runs with a deliberate 25% slowdown of one cell (--inject-delay) that must be flagged every time.
# Usage: scripts/gate_demo.sh [OUT_DIR]   (about 35 minutes on 2 CPUs; run on a quiet machine)
#        JUDGE_ONLY=1 scripts/gate_demo.sh [OUT_DIR]   re-judges the runs already in OUT_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/gate-demo}
mkdir -p "$out"
# The armed build (it has --inject-delay), for every run alike: baseline, unchanged and slowed.
bin=build/harness/app/ipcbench_armed
suite=(run --repetitions 5 --duration 250ms --quiet --table none)   # as in .github/workflows/perf.yml
reference=shm-sem   # each cell over shm-sem in its own mode, placement and size; spinners over their floor
target=pipe/process/same/64

measure() { [ -n "${JUDGE_ONLY:-}" ] || "$bin" "${suite[@]}" "$@"; }

baselines=()
for i in 1 2 3; do
  measure --csv "$out/baseline-$i.csv" || exit 1
  baselines+=("$out/baseline-$i.csv")
done
# 25% of the target cell's mean round trip in the first baseline, as a busy-wait after every reply.
delay_ns=$(/usr/bin/python3 - "$out/baseline-1.csv" "$target" <<'PY'
import csv, sys
transport, mode, placement, size = sys.argv[2].split("/")
for row in csv.DictReader(open(sys.argv[1], newline="")):
    if (row["row"], row["transport"], row["mode"], row["placement"], row["payload_bytes"]) == ("aggregate", transport, mode, placement, size):
        print(round(0.25 * 1e9 / float(row["msgs_per_s"])))
PY
)
echo "slowdown: ${delay_ns} ns per round trip of ${target%%/*} (25% of ${target}'s mean round trip)" | tee "$out/summary.txt"
echo "gate: scripts/compare.py ${baselines[*]} NEW.csv --normalize-by $reference" | tee -a "$out/summary.txt"

for kind in unchanged slowed; do
  for i in 1 2 3 4 5; do
    extra=()
    [ "$kind" = slowed ] && extra=(--inject-delay "${target%%/*}=${delay_ns}ns")
    measure "${extra[@]}" --csv "$out/$kind-$i.csv"
    scripts/compare.py "${baselines[@]}" "$out/$kind-$i.csv" --normalize-by "$reference" >"$out/$kind-$i.txt"
    status=$?
    target_flagged=$(grep -cE "^${target//\//\\/} .* slower" "$out/$kind-$i.txt")
    echo "$kind run $i: gate exit $status, $(tail -1 "$out/$kind-$i.txt"); $target flagged slower on $target_flagged metric(s)" | tee -a "$out/summary.txt"
  done
done
