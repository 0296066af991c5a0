#!/usr/bin/env bash
# Host mode on one machine: starts `ipcbench serve` on 127.0.0.1 (its session side pinned to SERVER_CPU), runs
# `ipcbench ping` against it with the given arguments, then stops the server it started. Prints ping's output.
# Usage: scripts/host_loopback.sh [--bin PATH] SERVER_CPU PING_ARGS...   e.g. scripts/host_loopback.sh 1 -t tcp --cpus 0
set -euo pipefail
bin=build/harness/app/ipcbench
if [ "${1:-}" = --bin ]; then bin=$2; shift 2; fi
[ $# -ge 1 ] || { echo "host_loopback.sh: error: expected SERVER_CPU and ping's arguments" >&2; exit 2; }
server_cpu=$1
shift
out=$(mktemp)
"$bin" serve --listen 127.0.0.1:0 --cpus "$server_cpu" >"$out" 2>/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q "listening on" "$out" && break; sleep 0.1; done
address=$(grep -o 'listening on [^ ]*' "$out" | cut -d' ' -f3)
[ -n "$address" ] || { echo "host_loopback.sh: error: ipcbench serve did not start" >&2; exit 1; }
"$bin" ping --connect "$address" "$@"
