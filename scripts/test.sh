#!/usr/bin/env bash
# Sets up, builds, and runs every test through ctest (unit, conformance, reliability, CLI, scripts).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
# The leak checks find message queues left behind in /dev/mqueue. systemd mounts it at boot; a
# bare container may not have it, and then, as root, it is mounted here.
if [ "$(id -u)" -eq 0 ] && ! mountpoint -q /dev/mqueue; then
  if mkdir -p /dev/mqueue && mount -t mqueue mqueue /dev/mqueue; then
    echo "test: mounted the mqueue filesystem on /dev/mqueue" >&2
  else
    echo "test: could not mount /dev/mqueue: the message queue leak checks will see nothing" >&2
  fi
fi
ctest --test-dir build --output-on-failure -j1 "$@"
