#!/usr/bin/env bash
# Runs one bad invocation and checks the contract: exit status 2, exactly one line on stderr
# that contains the expected text, nothing on stdout, no core dump, done within 20 s.
# Usage: expect_usage_error.sh BINARY EXPECTED_TEXT [ARGS...]
set -u
binary=$1 expected=$2
shift 2
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
cd "$workdir"
timeout -s KILL 20 "$binary" "$@" >stdout.txt 2>stderr.txt
status=$?
lines=$(wc -l <stderr.txt)
fail() { echo "FAIL: ipcbench $*: $1"; echo "--- stderr:"; cat stderr.txt; echo "--- stdout:"; head -5 stdout.txt; exit 1; }
[ "$status" -eq 2 ] || fail "exit status $status, expected 2"
[ "$lines" -eq 1 ] || fail "$lines lines on stderr, expected 1"
grep -qF -- "$expected" stderr.txt || fail "stderr lacks '$expected'"
[ ! -s stdout.txt ] || fail "unexpected output on stdout"
ls core* >/dev/null 2>&1 && fail "a core file was written"
echo "ok: $(cat stderr.txt)"
