#!/usr/bin/env bash
# The fuzz stage of CI: builds tests/fuzz with clang's libFuzzer (ASan+UBSan) and runs each target for a bounded
# time on its seed corpus; any crash, leak or undefined behaviour fails it. Usage: scripts/ci-fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

missing=()
for p in clang libclang-rt-14-dev libfmt-dev nlohmann-json3-dev cmake make; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DIPCBENCH_FUZZ=ON -DIPCBENCH_SANITIZE=fuzzer -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null

# The corpus grows while the fuzzer runs: it works on a copy, so the seeds stay as committed.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp tests/fuzz/corpus/* "$work/corpus/"
for fuzzer in build-fuzz/tests/fuzz/*_fuzz; do
  name=$(basename "$fuzzer")
  # A crash, a leak, undefined behaviour or a body that makes memory grow (-rss_limit_mb)
  # ends the run non-zero and leaves the input that did it in $work.
  # Inputs past the largest control frame from the start (-len_control=0), so that full
  # buffers and over-long bodies are reached at once; the dictionary holds the protocol's words.
  if ! "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=512 -max_len=20000 -len_control=0 -timeout=10 \
      -dict=tests/fuzz/wire.dict -artifact_prefix="$work/" -print_final_stats=1 "$work/corpus" >"$work/$name.log" 2>&1; then
    tail -40 "$work/$name.log" >&2
    echo "ci: $name failed; the input that did it:" >&2
    ls "$work"/crash-* "$work"/leak-* "$work"/oom-* "$work"/timeout-* 2>/dev/null | head -5 >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$name.log" | grep -o '[0-9]*$')
  ((runs > 0)) || { echo "ci: $name ran no inputs" >&2; tail -20 "$work/$name.log" >&2; exit 1; }
  echo "ci: $name ran $runs inputs in ${seconds} s without a crash"
done
