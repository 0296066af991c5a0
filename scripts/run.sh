#!/usr/bin/env bash
# Sets up, builds, and runs the default suite: the seed table on stdout, ipcbench-results.csv.
# Any arguments go to ipcbench instead (e.g. scripts/run.sh run -t shm-spin -s 8,64).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
exec build/harness/app/ipcbench "$@"
