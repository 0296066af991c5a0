#!/usr/bin/env bash
# Runs one bad invocation and checks the contract: exit status 2, exactly one line on stderr
# that contains the expected text, nothing on stdout, no traceback, no core dump, done within 20 s.
# Usage: expect_usage_error.sh PROGRAM EXPECTED_TEXT [ARGS...]
# An argument @EMPTY@ becomes an empty argument (which CMake cannot pass); @UNREADABLE@ a CSV
# file nobody may read: as root, the program then runs as nobody, so that the mode is what
# stops it.
set -u
program=$1 expected=$2
shift 2
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
chmod 755 "$workdir"
cd "$workdir"
as_user=()
args=()
for arg in "$@"; do
  [ "$arg" = "@EMPTY@" ] && arg=""
  if [ "$arg" = "@UNREADABLE@" ]; then
    echo "transport,mode" >unreadable.csv
    chmod 000 unreadable.csv
    if [ "$(id -u)" -eq 0 ]; then
      mkdir home && chown 65534 home
      as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$workdir/home")
    fi
    arg=$workdir/unreadable.csv
  fi
  args+=("$arg")
done
timeout -s KILL 20 "${as_user[@]}" "$program" "${args[@]}" >stdout.txt 2>stderr.txt
status=$?
lines=$(wc -l <stderr.txt)
fail() { echo "FAIL: $(basename "$program") ${args[*]}: $1"; echo "--- stderr:"; cat stderr.txt; echo "--- stdout:"; head -5 stdout.txt; exit 1; }
[ "$status" -eq 2 ] || fail "exit status $status, expected 2"
[ "$lines" -eq 1 ] || fail "$lines lines on stderr, expected 1"
grep -qF -- "$expected" stderr.txt || fail "stderr lacks '$expected'"
grep -q "Traceback" stderr.txt && fail "a traceback"
[ ! -s stdout.txt ] || fail "unexpected output on stdout"
ls core* >/dev/null 2>&1 && fail "a core file was written"
echo "ok: $(cat stderr.txt)"
