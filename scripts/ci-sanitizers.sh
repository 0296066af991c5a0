#!/usr/bin/env bash
# The sanitizer and valgrind stages of CI: every test again under ASan+UBSan and under TSan, then
# a short suite under valgrind memcheck. .ci/run calls it after scripts/test.sh (it reuses build/
# for valgrind); docs/reliability.md says what each stage proves and how long CI takes.
set -euo pipefail
cd "$(dirname "$0")/.."

# What only CI needs: valgrind, and strace for the security test (which skips without it).
missing=()
for p in valgrind strace; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Instrumented code must be in every executable and library: flags that reach the libraries
# but not the tests (or the reverse) would make a sanitizer run prove little. An instrumented
# function calls the runtime: __asan_report_load* (ASan), __tsan_func_entry (TSan).
check_instrumented() {
  local dir=$1 symbol=$2 count=0 file
  while IFS= read -r file; do
    [ "$(head -c 4 "$file" | tail -c 3)" = "ELF" ] || [[ "$file" == *.a ]] || continue
    # grep reads all of nm's output: with -q it could stop early, and pipefail would see SIGPIPE.
    nm "$file" 2>/dev/null | grep " U ${symbol}" >/dev/null || { echo "ci: $file has no code instrumented for $symbol" >&2; exit 1; }
    count=$((count + 1))
  done < <(find "$dir" -name CMakeFiles -prune -o -type f \( -perm -u+x -o -name "*.a" \) ! -name "*.sh" -print)
  ((count >= 10)) || { echo "ci: only $count executables and libraries in $dir" >&2; exit 1; }
  echo "ci: code instrumented for $symbol in all $count executables and libraries of $dir"
}

# Optimized, with line tables only (-g1): file and line in every report, without the full debug
# information that made the ASan build take 18 minutes. ASan+UBSan at -O1, as ASan advises: its
# checks and UBSan's are inserted whatever the level (the Release run tests -O3 code), and
# -O1 halves the build; TSan at -O2. UBSan stops at the first report (-fno-sanitize-recover in
# CMakeLists.txt).
sanitized_tests() {
  local dir=$1 sanitizer=$2 symbol=$3 optimize=$4
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$optimize -g1 -DNDEBUG" \
    -DIPCBENCH_SANITIZE="$sanitizer" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
  check_instrumented "$dir" "$symbol"
  ctest --test-dir "$dir" --output-on-failure -j1 -LE python
}
export UBSAN_OPTIONS=print_stacktrace=1
sanitized_tests build-asan address __asan_report_load -O1
# TSan sleeps 1 s in every process that exits (atexit_sleep_ms), so that a thread still running
# can report a race with the exit. ipcbench joins every thread it starts before it exits; 100 ms
# is room enough for one that did not, and the hundreds of processes the tests start do not
# each wait a second. The peer-fault tests fork from a test with a second thread, and the
# ZeroMQ sides then start libzmq's threads, which TSan refuses by default (die_after_fork);
# libzmq itself is not instrumented (tests/tsan_suppressions.txt says what that hides).
TSAN_OPTIONS="atexit_sleep_ms=100 die_after_fork=0 suppressions=$PWD/tests/tsan_suppressions.txt" \
  sanitized_tests build-tsan thread __tsan_func_entry -O2

# Memcheck on the Release build: every transport in both modes (io_uring in one) on one CPU (two spinning
# threads under valgrind, which runs one thread at a time, would each wait out a time slice
# per round trip), a cell killed on purpose, and a bad invocation, so that the failure paths
# are checked too. Every process, forked workers included, must end with 0 errors, leaks of
# the kinds definite, indirect and possible counting as errors. Workers end with _exit and
# never free the copy of the parent's heap they were forked with: that memory is "still
# reachable", not leaked, and is not counted. Valgrind 3.19 does not know pidfd_open and
# warns about it; the supervisor then polls, as on kernels without pidfds.
logs=$(mktemp -d)
runs=0
# memcheck EXPECTED_STATUS EVERY|SURVIVORS ARGS...: runs ipcbench ARGS under memcheck. EVERY:
# every process must report 0 errors. SURVIVORS: a process killed by SIGKILL (as a fault
# injected on purpose is, or its peer by the supervisor) writes no summary; the others must.
# check_logs DIR EVERY|SURVIVORS WHAT: the verdict on every process's memcheck log in DIR.
check_logs() {
  local dir=$1 who=$2 what=$3 all summaries clean
  all=$(ls "$dir"/*.log | wc -l)
  summaries=$(grep -l "ERROR SUMMARY:" "$dir"/*.log | wc -l)
  clean=$(grep -l "ERROR SUMMARY: 0 errors from 0 contexts" "$dir"/*.log | wc -l)
  if [ "$clean" -ne "$summaries" ] || { [ "$who" = EVERY ] && [ "$summaries" -ne "$all" ]; } || [ "$summaries" -eq 0 ]; then
    grep -L "ERROR SUMMARY: 0 errors from 0 contexts" "$dir"/*.log | xargs cat >&2
    echo "ci: valgrind $what: $clean of $all processes clean ($summaries reported)" >&2
    exit 1
  fi
  echo "ci: valgrind $what: 0 errors, no leaks in $clean processes"
}
valgrind_ipcbench() {
  local dir=$1
  shift
  valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
    --trace-children=yes --log-file="$dir/%p.log" "build/harness/app/${binary:-ipcbench}" "$@"
}
memcheck() {
  local expected=$1 who=$2 dir="$logs/$((runs += 1))" status=0
  shift 2
  mkdir "$dir"
  valgrind_ipcbench "$dir" "$@" >"$dir/stdout.txt" 2>"$dir/stderr.txt" || status=$?
  [ "$status" -eq "$expected" ] || { echo "ci: valgrind ipcbench $*: exit $status, expected $expected" >&2; cat "$dir/stderr.txt" >&2; exit 1; }
  check_logs "$dir" "$who" "ipcbench $*"
}
# Host mode: serve under memcheck for two sessions, pinged by the Release binary.
memcheck_serve() {
  local dir="$logs/$((runs += 1))" address=""
  mkdir "$dir"
  valgrind_ipcbench "$dir" serve --listen 127.0.0.1:0 --sessions 2 --peer-timeout 5s >"$dir/stdout.txt" 2>"$dir/stderr.txt" &
  local server=$!
  for _ in $(seq 300); do
    address=$(grep -o 'listening on [^ ]*' "$dir/stdout.txt" | cut -d' ' -f3) && [ -n "$address" ] && break
    sleep 0.1
  done
  [ -n "$address" ] || { kill "$server"; echo "ci: valgrind ipcbench serve did not start" >&2; exit 1; }
  build/harness/app/ipcbench ping -t tcp,udp --connect "$address" --round-trips 200 --repetitions 1 --peer-timeout 5s \
    --table none --quiet || { kill "$server"; echo "ci: ping of a serve under valgrind failed" >&2; cat "$dir/stderr.txt" >&2; exit 1; }
  wait "$server" || { echo "ci: valgrind ipcbench serve: exit $?" >&2; exit 1; }
  check_logs "$dir" EVERY "ipcbench serve (two sessions)"
}
# io_uring runs in process mode only: under valgrind a thread blocked in io_uring_enter keeps
# the other thread from ever running (ipcbench_minimal's own io_uring loop hangs the same way).
but_io_uring=$(build/harness/app/ipcbench list |
  awk -F'|' 'NR > 1 && /^Linux only/ { exit } NR > 1 && NF > 1 { gsub(/ /, "", $1); if ($1 != "io_uring") print $1 }' | paste -sd,)
memcheck 0 EVERY run -t "$but_io_uring" -m thread,process -p same --round-trips 200 --warmup 20 --repetitions 2 --verify \
  --csv "$logs/r.csv" --json "$logs/r.json"
memcheck 0 EVERY run -t io_uring -m process -p same --round-trips 200 --warmup 20 --repetitions 1 --table none
# Busy-polling needs a CPU per side; each process-mode side is its own valgrind, so both run.
memcheck 0 EVERY run -t pipe,unix,tcp,udp -m process -p cross --wait busy-poll --round-trips 200 --warmup 20 \
  --repetitions 1 --table none
# Fan-out: a publisher and two subscribers per mechanism, each process its own valgrind
# (whose start-up is slower than the default 2 s timeout allows).
memcheck 0 EVERY fanout -n 2 -p same --duration 20ms --warmup 50 --repetitions 1 --timeout 20s --table none
# The run's JSON read back: every histogram rebuilt, merged and written out again.
memcheck 0 EVERY merge "$logs/r.json" "$logs/r.json" --json "$logs/m.json" --hgrm "$logs/hgrm" --table none
# Process mode only: a thread-mode worker ended by the fault while its other thread runs
# leaves that thread's TLS "possibly lost", which says nothing about ipcbench.
binary=ipcbench_armed memcheck 1 SURVIVORS run -t pipe,shm-sem -m process -p same --round-trips 200 --repetitions 1 \
  --inject-fault pipe:server:kill:throughput --table none
memcheck 2 EVERY run -t nope
memcheck 0 EVERY list
memcheck_serve
# ping under memcheck against a Release serve.
serve_out=$(mktemp)
build/harness/app/ipcbench serve --listen 127.0.0.1:0 --sessions 2 --peer-timeout 5s >"$serve_out" 2>/dev/null &
serve_pid=$!
for _ in $(seq 50); do grep -q "listening on" "$serve_out" && break; sleep 0.1; done
memcheck 0 EVERY ping -t tcp,udp --connect "$(grep -o 'listening on [^ ]*' "$serve_out" | cut -d' ' -f3)" \
  --round-trips 200 --repetitions 1 --peer-timeout 5s --table none --quiet
wait "$serve_pid"
rm -f "$serve_out"
rm -rf "$logs"
